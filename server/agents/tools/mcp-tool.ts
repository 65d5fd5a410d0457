import { z } from "zod";
import { defineTool, type ToolSpec } from "@/server/agents/tools/tool-spec";
import type { McpTool } from "@/server/mcp/agent-tools";
import { cutText } from "@/server/text/cut-text";

/**
 * A tool from one of the team's MCP servers, as the runner takes tools: the model sees the
 * server's own JSON Schema; a call goes to the server (server/mcp), its answer is untrusted data,
 * and a call the server calls destructive (or the admin flagged) waits for approval. A failed
 * call is never repeated: an MCP tool may have side effects Chorus cannot see.
 */

class McpToolFailed extends Error {}

const anyArguments = z.record(z.string(), z.unknown());

export function mcpToolSpec(tool: McpTool, timeoutMs: number): ToolSpec<Record<string, unknown>> {
  return defineTool({
    name: tool.name,
    description: `${tool.description || tool.toolName} (tool "${tool.toolName}" of the team's MCP server "${tool.serverName}")`,
    inputSchema: anyArguments,
    modelSchema: tool.inputSchema,
    // The connection enforces the call's own deadline; this only backs it up.
    timeoutMs: timeoutMs + 5_000,
    retries: 0,
    untrustedOutput: true,
    needsApproval: tool.needsApproval,
    async run(input, call) {
      const answer = await tool.call(input, call.signal);
      if (answer.isError) throw new McpToolFailed(answer.text);
      return {
        result: { server: tool.serverName, tool: tool.toolName, text: answer.text },
        excerpt: cutText(answer.text.replace(/\s+/g, " "), 400),
      };
    },
    classifyError(error) {
      return error instanceof McpToolFailed
        ? { kind: "failed", message: `The MCP tool answered with an error: ${cutText(error.message, 500)}` }
        : { kind: "failed", message: `The MCP server "${tool.serverName}" could not run ${tool.toolName}` };
    },
  });
}
