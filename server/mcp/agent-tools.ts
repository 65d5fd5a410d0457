import { listAgentMcpServers, type McpServerWithSecretsRow } from "@/server/db/queries/mcp-servers";
import { getEnv } from "@/server/env";
import { logger } from "@/server/observability/logger";
import { connectMcpServer, describeFailure, listServerTools, type McpConnection } from "./mcp-connection";
import { toolSettingsOf } from "./mcp-servers";
import { toolNeedsApproval } from "./tool-approval";
import { modelSafeToolName } from "./tool-names";
import { flattenToolResult } from "./tool-results";

/**
 * What an agent step gets from its team's MCP servers: the tools it may call, each with a
 * model-safe name, its JSON Schema, whether a call needs a member's approval, and `call`. Only
 * enabled servers that allow the agent's kind, and only their enabled tools; a server that cannot
 * be reached is left out and reported (`unavailable`), never a failure of the agent. The caller
 * closes the connections when the step ends.
 */
export interface McpTool {
  /** Unique and model-safe (`^[a-zA-Z0-9_-]{1,64}$`): `mcp_<server>_<tool>`. */
  name: string;
  serverName: string;
  toolName: string;
  description: string;
  /** A JSON Schema object, as the server declared it. */
  inputSchema: Record<string, unknown>;
  needsApproval: boolean;
  /** Calls the tool (within CHORUS_MCP_CALL_TIMEOUT_MS); a failure or timeout is `isError: true`, an abort throws. */
  call(args: unknown, signal?: AbortSignal): Promise<{ text: string; isError: boolean }>;
}

export interface OpenMcpTools {
  tools: McpTool[];
  unavailable: Array<{ server: string; reason: string }>;
  close(): Promise<void>;
}

async function openServer(
  server: McpServerWithSecretsRow,
  signal: AbortSignal | undefined,
): Promise<{ connection: McpConnection; tools: Awaited<ReturnType<typeof listServerTools>> }> {
  const connection = await connectMcpServer(server, { signal });
  try {
    return { connection, tools: await listServerTools(connection, signal) };
  } catch (error) {
    await connection.client.close().catch(() => undefined);
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { secrets: connection.secrets });
  }
}

export async function openMcpTools(teamId: string, agentKind: string, options: { signal?: AbortSignal } = {}): Promise<OpenMcpTools> {
  return openToolsOf(await listAgentMcpServers(teamId, agentKind), { teamId, agentKind, signal: options.signal });
}

/** openMcpTools on servers already read (benchmarks measure it without a database). */
export async function openToolsOf(
  servers: McpServerWithSecretsRow[],
  options: { teamId: string; agentKind: string; signal?: AbortSignal },
): Promise<OpenMcpTools> {
  const { teamId, agentKind } = options;
  const opened = await Promise.allSettled(servers.map((server) => openServer(server, options.signal)));
  const tools: McpTool[] = [];
  const unavailable: OpenMcpTools["unavailable"] = [];
  const connections: McpConnection[] = [];
  const taken = new Set<string>();
  const callTimeout = getEnv().CHORUS_MCP_CALL_TIMEOUT_MS;

  opened.forEach((outcome, index) => {
    const server = servers[index]!;
    if (outcome.status === "rejected") {
      const reason = describeFailure(outcome.reason, (outcome.reason as { secrets?: string[] })?.secrets ?? []);
      logger.warn("MCP server unavailable: its tools are left out of this step", { teamId, agentKind, server: server.name, reason });
      unavailable.push({ server: server.name, reason });
      return;
    }
    const { connection, tools: listed } = outcome.value;
    connections.push(connection);
    const settings = toolSettingsOf(server);
    for (const tool of listed) {
      if (settings[tool.name]?.enabled === false) continue;
      tools.push({
        name: modelSafeToolName(server.name, tool.name, taken),
        serverName: server.name,
        toolName: tool.name,
        description: tool.description,
        inputSchema: tool.inputSchema,
        needsApproval: toolNeedsApproval(tool.annotations, settings[tool.name]),
        call: async (args, callSignal) => {
          // Either the step's signal (the task was cancelled) or the call's own ends the call.
          const signals = [options.signal, callSignal].filter((candidate) => candidate !== undefined);
          const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
          try {
            const result = await connection.client.callTool(
              { name: tool.name, arguments: (args ?? {}) as Record<string, unknown> },
              undefined,
              { signal, timeout: callTimeout },
            );
            return { text: flattenToolResult(result), isError: result.isError === true };
          } catch (error) {
            if (signal?.aborted) throw error;
            const reason = describeFailure(error, connection.secrets);
            logger.warn("MCP tool call failed", { teamId, server: server.name, tool: tool.name, reason });
            return { text: `The MCP tool ${tool.name} of server ${server.name} failed: ${reason}`, isError: true };
          }
        },
      });
    }
  });

  return {
    tools,
    unavailable,
    close: async () => {
      await Promise.all(connections.map((connection) => connection.client.close().catch(() => undefined)));
    },
  };
}
