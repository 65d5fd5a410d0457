import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

/**
 * A real MCP server, built with the official SDK and served over Streamable HTTP on 127.0.0.1,
 * for tests of Chorus's MCP client. Every request must carry `Authorization: Bearer <token>`
 * (401 otherwise), and its tools cover what Chorus decides on:
 * - `whoami` (no annotations) answers with the bearer token's owner, read from the request;
 * - `read_notes` (read-only) returns the notes, `repeat` times over (for the output cap);
 * - `delete_note` (destructive) removes a note;
 * - `structured` returns only structured content; `fails` answers isError; `hang` never answers.
 * Stateless: each request gets a fresh McpServer, as the SDK's stateless example does. The
 * calls that reached a tool are kept in `calls`, so a test can tell a call that ran from one that never did.
 */
export interface McpTestServer {
  url: string;
  /** The headers of every request received, in order. */
  requests: IncomingHttpHeaders[];
  notes: string[];
  /** Every tool call that ran, in order. */
  calls: Array<{ tool: string; arguments: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startMcpTestServer(token: string): Promise<McpTestServer> {
  const requests: IncomingHttpHeaders[] = [];
  const notes = ["buy milk", "call Ada"];
  const calls: McpTestServer["calls"] = [];
  const hanging = new Set<() => void>();

  const build = () => {
    const server = new McpServer({ name: "test-notes", version: "1.2.3" });
    server.registerTool("whoami", { description: "Who the bearer token belongs to." }, async (extra) => ({
      content: [
        { type: "text", text: extra.requestInfo?.headers.authorization === `Bearer ${token}` ? "You are alice" : "Unknown caller" },
      ],
    }));
    server.registerTool(
      "read_notes",
      {
        description: "Read all notes.",
        inputSchema: { repeat: z.number().int().min(1).optional() },
        annotations: { readOnlyHint: true },
      },
      async ({ repeat }) => {
        calls.push({ tool: "read_notes", arguments: repeat === undefined ? {} : { repeat } });
        return {
          content: [
            {
              type: "text",
              text: Array(repeat ?? 1)
                .fill(notes.join("\n"))
                .join("\n"),
            },
          ],
        };
      },
    );
    server.registerTool(
      "delete_note",
      {
        description: "Delete the note with this text.",
        inputSchema: { text: z.string() },
        annotations: { destructiveHint: true, readOnlyHint: false },
      },
      async ({ text }) => {
        calls.push({ tool: "delete_note", arguments: { text } });
        const index = notes.indexOf(text);
        if (index >= 0) notes.splice(index, 1);
        return { content: [{ type: "text", text: index >= 0 ? `Deleted "${text}"` : `No note "${text}"` }] };
      },
    );
    server.registerTool("structured", { description: "Only structured content.", outputSchema: { count: z.number() } }, async () => ({
      content: [],
      structuredContent: { count: notes.length },
    }));
    server.registerTool("fails", { description: "Always reports an error." }, async () => ({
      content: [{ type: "text", text: "the notebook is locked" }],
      isError: true,
    }));
    server.registerTool(
      "hang",
      { description: "Never answers." },
      () => new Promise<never>((resolve) => hanging.add(resolve as () => void)),
    );
    return server;
  };

  const http = createServer((request, response) => {
    requests.push(request.headers);
    if (request.headers.authorization !== `Bearer ${token}`) {
      response.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: "unauthorized" }));
      return;
    }
    const server = build();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    response.on("close", () => {
      void transport.close();
      void server.close();
    });
    void server.connect(transport).then(() => transport.handleRequest(request, response));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    requests,
    notes,
    calls,
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
