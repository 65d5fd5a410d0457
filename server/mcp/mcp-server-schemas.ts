import { z } from "zod";

/**
 * What an admin may send to register or change an MCP server, as zod schemas (REST, tRPC and the
 * docs share them). Rules between fields — an http server needs a URL, a stdio one a command —
 * are checked by the service against the merged result, so a partial update is judged whole.
 */

/** A server's name: a slug, short enough that `mcp_<name>_<tool>` leaves room for the tool's name. */
export const MCP_SERVER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$/;
/** An agent kind, as server/agents names them. */
const AGENT_KIND = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
/** Headers the transport sets itself; a stored value would break the protocol or the request. */
const RESERVED_HEADERS = new Set([
  "accept",
  "content-type",
  "content-length",
  "host",
  "connection",
  "transfer-encoding",
  "mcp-session-id",
  "mcp-protocol-version",
  "last-event-id",
]);

export const mcpServerUrl = z
  .string()
  .max(2048)
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), "must be an http:// or https:// URL")
  .refine(
    (value) => !URL.canParse(value) || (new URL(value).username === "" && new URL(value).password === ""),
    "must not carry credentials (user:password@); put them in headers, which are stored encrypted",
  );

const headers = z
  .record(
    z.string().regex(HEADER_NAME, "must be an HTTP header name"),
    z
      .string()
      .min(1)
      .max(8192)
      .regex(/^[\t\x20-\x7e\x80-\xff]*$/, "must be a header value (no line breaks or control characters)"),
  )
  .refine((value) => Object.keys(value).length <= 20, "may hold at most 20 headers")
  .refine(
    (value) => Object.keys(value).every((name) => !RESERVED_HEADERS.has(name.toLowerCase())),
    `must not set ${[...RESERVED_HEADERS].join(", ")} (the MCP transport sets them)`,
  )
  .refine(
    (value) => new Set(Object.keys(value).map((name) => name.toLowerCase())).size === Object.keys(value).length,
    "must not name a header twice (names are case-insensitive)",
  );

export const toolSettingSchema = z.strictObject({
  /** false: agents never see the tool. */
  enabled: z.boolean().optional(),
  /** true/false overrides what the tool's annotations imply; null returns to them. */
  requiresApproval: z.boolean().nullable().optional(),
});

export type ToolSetting = z.infer<typeof toolSettingSchema>;

const toolSettings = z
  .record(z.string().min(1).max(128), toolSettingSchema)
  .refine((value) => Object.keys(value).length <= 500, "may hold at most 500 tools");

const fields = {
  name: z.string().regex(MCP_SERVER_NAME, "must be a slug of 1 to 24 lower-case letters, digits and dashes"),
  transport: z.enum(["http", "stdio"]),
  url: mcpServerUrl,
  command: z.string().min(1).max(1000),
  args: z.array(z.string().max(1000)).max(50),
  headers,
  enabled: z.boolean(),
  /** Agent kinds that may use the server's tools, or "all". */
  allowedAgents: z.union([z.literal("all"), z.array(z.string().regex(AGENT_KIND, "must be an agent kind")).max(100)]),
  tools: toolSettings,
};

export const createMcpServerInput = z.strictObject({
  ...fields,
  transport: fields.transport.default("http"),
  url: fields.url.optional(),
  command: fields.command.optional(),
  args: fields.args.optional(),
  headers: fields.headers.optional(),
  enabled: fields.enabled.default(true),
  allowedAgents: fields.allowedAgents.default("all"),
  tools: fields.tools.optional(),
});

/** Each field given replaces the stored one; `headers` replaces all of them (`{}` removes them), `url`/`command` null clears. */
export const updateMcpServerInput = z.strictObject({
  name: fields.name.optional(),
  transport: fields.transport.optional(),
  url: fields.url.nullable().optional(),
  command: fields.command.nullable().optional(),
  args: fields.args.optional(),
  headers: fields.headers.optional(),
  enabled: fields.enabled.optional(),
  allowedAgents: fields.allowedAgents.optional(),
  tools: fields.tools.optional(),
});

export const mcpServerIdInput = z.object({ id: z.string() });
export const updateMcpServerProcedureInput = updateMcpServerInput.extend({ id: z.string() });

export type CreateMcpServerInput = z.infer<typeof createMcpServerInput>;
export type UpdateMcpServerInput = z.infer<typeof updateMcpServerInput>;
