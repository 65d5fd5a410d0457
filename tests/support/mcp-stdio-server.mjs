// A real MCP server over stdio (the official SDK's McpServer + StdioServerTransport), for tests of
// Chorus's stdio transport. `echo` answers its text; `leaked_env` says which of Chorus's secret
// variables reached this process (none should: the child gets only the SDK's safe list).
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "stdio-echo", version: "0.0.1" });
server.registerTool(
  "echo",
  { description: "Echo the text.", inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } },
  async ({ text }) => ({
    content: [{ type: "text", text: `echo: ${text}` }],
  }),
);
server.registerTool("leaked_env", { description: "Which secret variables this process sees." }, async () => ({
  content: [
    { type: "text", text: JSON.stringify(Object.keys(process.env).filter((name) => /MASTER_KEY|DATABASE_URL|AUTH_SECRET/.test(name))) },
  ],
}));
await server.connect(new StdioServerTransport());
