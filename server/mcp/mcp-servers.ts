import { requirePermission, type Caller } from "@/server/auth/caller";
import { recordAudit } from "@/server/audit/record-audit";
import {
  deleteTeamMcpServer,
  findTeamMcpServer,
  findTeamMcpServerWithSecrets,
  insertMcpServer,
  listTeamMcpServers,
  updateTeamMcpServer,
  type McpServerRow,
} from "@/server/db/queries/mcp-servers";
import { newRowId } from "@/server/db/row-id";
import type { InputJsonObject } from "@/server/db/types";
import { isUniqueViolation } from "@/server/db/unique-violation";
import { getEnv } from "@/server/env";
import { AppError } from "@/server/errors";
import { logger } from "@/server/observability/logger";
import { SecretUnreadableError } from "@/server/secrets/envelope";
import { parseInput } from "@/server/validation";
import { connectMcpServer, describeFailure, encryptHeaders, listServerTools, type CatalogTool } from "./mcp-connection";
import { createMcpServerInput, updateMcpServerInput, type ToolSetting } from "./mcp-server-schemas";
import { toolNeedsApproval } from "./tool-approval";

/**
 * MCP server registry use-cases: members with "read" see a team's servers (never a header value:
 * only their names); admins ("manage") register, change, remove them, refresh the tool catalog
 * and test the connection.
 */

/** A server as the API and dashboard show it. */
export function presentMcpServer(row: McpServerRow) {
  const settings = toolSettingsOf(row);
  const catalog = (row.toolCatalog ?? []) as unknown as CatalogTool[];
  return {
    id: row.id,
    name: row.name,
    transport: row.transport,
    url: row.url,
    command: row.command,
    args: row.args,
    headerNames: row.headerNames,
    enabled: row.enabled,
    allowedAgents: row.allAgents ? ("all" as const) : row.allowedAgents,
    tools: catalog.map((tool) => ({
      name: tool.name,
      description: tool.description,
      inputSchema: tool.inputSchema,
      annotations: tool.annotations,
      enabled: settings[tool.name]?.enabled ?? true,
      requiresApproval: toolNeedsApproval(tool.annotations, settings[tool.name]),
      approvalOverride: settings[tool.name]?.requiresApproval ?? null,
    })),
    toolSettings: settings,
    toolsRefreshedAt: row.toolsRefreshedAt?.toISOString() ?? null,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export type McpServerView = ReturnType<typeof presentMcpServer>;

export function toolSettingsOf(row: Pick<McpServerRow, "toolSettings">): Record<string, ToolSetting> {
  return (row.toolSettings ?? {}) as Record<string, ToolSetting>;
}

/** Ids are cuids; anything else names no server (and may hold what Postgres can't compare). */
const SERVER_ID = /^[a-z0-9]{1,40}$/;

function notFound(id: string): AppError {
  return new AppError("not_found", `No MCP server "${id.slice(0, 40)}" in your team`, "id");
}

async function serverOfTeam(caller: Caller, id: string): Promise<McpServerRow> {
  const row = SERVER_ID.test(id) ? await findTeamMcpServer(caller.teamId, id) : null;
  if (!row) throw notFound(id);
  return row;
}

type Shape = { transport: "http" | "stdio"; url: string | null; command: string | null; headerCount: number };

/** The rules between fields, on the server as it would be after the change. */
function assertCoherent(shape: Shape) {
  if (shape.transport === "stdio") {
    if (!getEnv().CHORUS_MCP_ALLOW_STDIO)
      throw new AppError(
        "bad_request",
        "transport: stdio MCP servers run a command on the Chorus host and are disabled on this instance (an operator can allow them with CHORUS_MCP_ALLOW_STDIO=true)",
        "transport",
      );
    if (!shape.command) throw new AppError("bad_request", "command: a stdio server needs the command that starts it", "command");
    if (shape.url) throw new AppError("bad_request", "url: a stdio server has no URL", "url");
    if (shape.headerCount > 0) throw new AppError("bad_request", "headers: a stdio server takes no HTTP headers", "headers");
  } else {
    if (!shape.url) throw new AppError("bad_request", "url: an http server needs its Streamable HTTP endpoint URL", "url");
    if (shape.command) throw new AppError("bad_request", "command: an http server runs no command", "command");
  }
}

function nameTaken(name: string): AppError {
  return new AppError("conflict", `Your team already has an MCP server "${name}"`, "name");
}

export async function listMcpServers(caller: Caller) {
  requirePermission(caller, "read");
  return { servers: (await listTeamMcpServers(caller.teamId)).map(presentMcpServer) };
}

export async function getMcpServer(caller: Caller, id: string) {
  requirePermission(caller, "read");
  return presentMcpServer(await serverOfTeam(caller, id));
}

export async function createMcpServer(caller: Caller, rawInput: unknown) {
  requirePermission(caller, "manage");
  const input = parseInput(createMcpServerInput, rawInput);
  const headers = input.headers ?? {};
  assertCoherent({
    transport: input.transport,
    url: input.url ?? null,
    command: input.command ?? null,
    headerCount: Object.keys(headers).length,
  });
  const id = newRowId();
  try {
    const row = await insertMcpServer(caller.teamId, {
      id,
      name: input.name,
      transport: input.transport,
      url: input.url ?? null,
      command: input.command ?? null,
      args: input.args ?? [],
      headerNames: Object.keys(headers),
      headersEncrypted: encryptHeaders(id, headers),
      enabled: input.enabled,
      allAgents: input.allowedAgents === "all",
      allowedAgents: input.allowedAgents === "all" ? [] : input.allowedAgents,
      toolSettings: (input.tools ?? {}) as InputJsonObject,
    });
    // Its name and transport; not its URL or headers, which may carry credentials.
    await recordAudit(caller, {
      action: "mcp_server.created",
      target: { type: "mcp_server", id: row.id },
      details: { name: input.name, transport: input.transport, headerNames: Object.keys(headers) },
    });
    return presentMcpServer(row);
  } catch (error) {
    // The unique (teamId, name) decides, not a look-up first: two creates at once would both find nothing.
    if (isUniqueViolation(error)) throw nameTaken(input.name);
    throw error;
  }
}

export async function updateMcpServer(caller: Caller, id: string, rawInput: unknown) {
  requirePermission(caller, "manage");
  const current = await serverOfTeam(caller, id);
  const input = parseInput(updateMcpServerInput, rawInput);
  const transport = input.transport ?? current.transport;
  const url = input.url === undefined ? current.url : input.url;
  const command = input.command === undefined ? current.command : input.command;
  const headerNames = input.headers ? Object.keys(input.headers) : current.headerNames;
  assertCoherent({ transport, url, command, headerCount: headerNames.length });
  // Stored header values were given for one server: sending them to another address would hand
  // them to whoever runs it, so a new origin needs the headers given again.
  if (!input.headers && current.headerNames.length > 0 && url && current.url && new URL(url).origin !== new URL(current.url).origin) {
    throw new AppError(
      "bad_request",
      `headers: the server moves to another origin, so give its headers again (the stored ones were for ${new URL(current.url).origin})`,
      "headers",
    );
  }
  try {
    const row = await updateTeamMcpServer(caller.teamId, id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      transport,
      url,
      command,
      ...(input.args !== undefined ? { args: input.args } : {}),
      ...(input.headers ? { headerNames, headersEncrypted: encryptHeaders(id, input.headers) } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
      ...(input.allowedAgents !== undefined
        ? { allAgents: input.allowedAgents === "all", allowedAgents: input.allowedAgents === "all" ? [] : input.allowedAgents }
        : {}),
      ...(input.tools !== undefined ? { toolSettings: input.tools as InputJsonObject } : {}),
    });
    if (!row) throw notFound(id);
    await recordAudit(caller, {
      action: "mcp_server.updated",
      target: { type: "mcp_server", id },
      details: { name: row.name, changed: Object.keys(input).filter((field) => input[field as keyof typeof input] !== undefined) },
    });
    return presentMcpServer(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(input.name ?? current.name);
    throw error;
  }
}

export async function deleteMcpServer(caller: Caller, id: string) {
  requirePermission(caller, "manage");
  if (!SERVER_ID.test(id) || !(await deleteTeamMcpServer(caller.teamId, id))) throw notFound(id);
  await recordAudit(caller, { action: "mcp_server.deleted", target: { type: "mcp_server", id } });
  return { deleted: id };
}

/** Connects, lists the server's tools and closes: the catalog and how long it took, or why it failed. */
async function probe(caller: Caller, id: string) {
  const row = SERVER_ID.test(id) ? await findTeamMcpServerWithSecrets(caller.teamId, id) : null;
  if (!row) throw notFound(id);
  const started = performance.now();
  let secrets: string[] = [];
  try {
    const connection = await connectMcpServer(row);
    secrets = connection.secrets;
    try {
      const tools = await listServerTools(connection);
      const version = connection.client.getServerVersion();
      return {
        ok: true as const,
        tools,
        server: version ? { name: version.name, version: version.version } : null,
        ms: performance.now() - started,
      };
    } finally {
      await connection.client.close().catch(() => undefined);
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    const reason = error instanceof SecretUnreadableError ? error.message : describeFailure(error, secrets);
    logger.warn("MCP server unreachable", { teamId: caller.teamId, server: row.name, reason });
    return { ok: false as const, reason, ms: performance.now() - started };
  }
}

/** Lists the server's tools now and stores them as its catalog; a failure is stored as lastError and answered 503. */
export async function refreshMcpServerTools(caller: Caller, id: string) {
  requirePermission(caller, "manage");
  const result = await probe(caller, id);
  const row = await updateTeamMcpServer(
    caller.teamId,
    id,
    result.ok
      ? { toolCatalog: result.tools as unknown as InputJsonObject[], toolsRefreshedAt: new Date(), lastError: null }
      : { lastError: result.reason },
  );
  if (!row) throw notFound(id);
  await recordAudit(caller, {
    action: "mcp_server.refreshed",
    target: { type: "mcp_server", id },
    details: result.ok ? { ok: true, toolCount: result.tools.length } : { ok: false },
  });
  if (!result.ok) throw new AppError("unavailable", `Could not list the tools of MCP server "${row.name}": ${result.reason}`);
  return presentMcpServer(row);
}

/** Checks that Chorus can connect and list tools, changing nothing. */
export async function testMcpServerConnection(caller: Caller, id: string) {
  requirePermission(caller, "manage");
  const result = await probe(caller, id);
  await recordAudit(caller, { action: "mcp_server.tested", target: { type: "mcp_server", id }, details: { ok: result.ok } });
  return result.ok
    ? { ok: true, server: result.server, toolCount: result.tools.length, durationMs: Math.round(result.ms) }
    : { ok: false, error: result.reason, durationMs: Math.round(result.ms) };
}
