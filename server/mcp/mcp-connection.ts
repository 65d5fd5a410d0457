import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { McpServerWithSecretsRow } from "@/server/db/queries/mcp-servers";
import { SECRET_COLUMNS, secretContext } from "@/server/db/queries/stored-secrets";
import { getEnv } from "@/server/env";
import { AppError } from "@/server/errors";
import { registerSecret } from "@/server/observability/logger";
import { decryptSecret, encryptSecret } from "@/server/secrets/envelope";
import { cutTextWithEllipsis } from "@/server/text/cut-text";

/**
 * Talking to one MCP server with the official SDK: its headers decrypted only here, at connect
 * time (and registered with the logger, so no log line can carry them), a deadline on the
 * handshake, and failures turned into a short reason that never holds a header value.
 */
const HEADERS_COLUMN = SECRET_COLUMNS.find((column) => column.table === "McpServer" && column.column === "headersEncrypted")!;

export const headersContext = (serverId: string) => secretContext(HEADERS_COLUMN, serverId);

export function encryptHeaders(serverId: string, headers: Record<string, string>): string | null {
  return Object.keys(headers).length === 0 ? null : encryptSecret(JSON.stringify(headers), { context: headersContext(serverId) });
}

function decryptHeaders(server: McpServerWithSecretsRow): Record<string, string> {
  if (!server.headersEncrypted) return {};
  const headers = JSON.parse(decryptSecret(server.headersEncrypted, { context: headersContext(server.id) })) as Record<string, string>;
  for (const value of Object.values(headers)) registerSecret(value);
  return headers;
}

export interface McpConnection {
  client: Client;
  /** Header values, to scrub from anything shown (an error a server echoed them into). */
  secrets: string[];
}

/** The SDK's client side loads on the first connection: most processes never open one, and it costs start-up time. */
async function transportFor(server: McpServerWithSecretsRow, headers: Record<string, string>): Promise<Transport> {
  if (server.transport === "stdio") {
    if (!getEnv().CHORUS_MCP_ALLOW_STDIO)
      throw new AppError("bad_request", "stdio MCP servers are disabled on this instance (CHORUS_MCP_ALLOW_STDIO)", "transport");
    // The child gets the SDK's short list of safe variables (PATH, HOME, …), never Chorus's own secrets.
    const { StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js");
    return new StdioClientTransport({ command: server.command ?? "", args: server.args, stderr: "ignore" });
  }
  const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
  return new StreamableHTTPClientTransport(new URL(server.url ?? ""), {
    requestInit: { headers },
    // A dropped stream is a failed call the agent hears about, not a reconnect loop inside a step.
    reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 },
  });
}

/** Connects and completes the MCP handshake within CHORUS_MCP_CONNECT_TIMEOUT_MS; the caller closes the client. */
export async function connectMcpServer(server: McpServerWithSecretsRow, options: { signal?: AbortSignal } = {}): Promise<McpConnection> {
  const headers = decryptHeaders(server);
  const secrets = Object.values(headers);
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  const client = new Client({ name: "chorus", version: "0.1.0" });
  try {
    await client.connect(await transportFor(server, headers), { signal: options.signal, timeout: getEnv().CHORUS_MCP_CONNECT_TIMEOUT_MS });
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  return { client, secrets };
}

export interface CatalogTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  annotations: { title?: string; readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean; openWorldHint?: boolean };
}

const MAX_TOOLS = 500;

/** Every tool the server lists (following its pages, up to 500 tools), in the shape Chorus stores. */
export async function listServerTools(connection: McpConnection, signal?: AbortSignal): Promise<CatalogTool[]> {
  const tools: CatalogTool[] = [];
  let cursor: string | undefined;
  do {
    const page = await connection.client.listTools(cursor ? { cursor } : undefined, {
      signal,
      timeout: getEnv().CHORUS_MCP_CONNECT_TIMEOUT_MS,
    });
    for (const tool of page.tools) {
      const annotations = tool.annotations ?? {};
      tools.push({
        name: tool.name,
        description: cutTextWithEllipsis(tool.description ?? annotations.title ?? tool.title ?? "", 4000),
        inputSchema: tool.inputSchema as Record<string, unknown>,
        annotations: {
          ...(annotations.title !== undefined ? { title: annotations.title } : {}),
          ...(annotations.readOnlyHint !== undefined ? { readOnlyHint: annotations.readOnlyHint } : {}),
          ...(annotations.destructiveHint !== undefined ? { destructiveHint: annotations.destructiveHint } : {}),
          ...(annotations.idempotentHint !== undefined ? { idempotentHint: annotations.idempotentHint } : {}),
          ...(annotations.openWorldHint !== undefined ? { openWorldHint: annotations.openWorldHint } : {}),
        },
      });
    }
    cursor = page.nextCursor;
  } while (cursor && tools.length < MAX_TOOLS);
  return tools.slice(0, MAX_TOOLS);
}

/** Why talking to a server failed, short and safe to show: header values (and bearer tokens) removed. */
export function describeFailure(error: unknown, secrets: readonly string[] = []): string {
  let reason = error instanceof Error ? error.message : String(error);
  // fetch's own message is only "fetch failed"; what failed (ECONNREFUSED, a DNS miss) is its cause.
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause && (cause.code || cause.message)) reason += ` (${cause.code ?? cause.message})`;
  for (const secret of secrets) if (secret) reason = reason.split(secret).join("[redacted]");
  reason = reason.replace(/Bearer\s+\S+/gi, "Bearer [redacted]");
  return cutTextWithEllipsis(reason.replace(/\s+/g, " ").trim() || "unknown error", 300);
}
