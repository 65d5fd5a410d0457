import { z } from "zod";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { AppError, type ErrorCode } from "@/server/errors";
import { parseInput } from "@/server/validation";
import { registerTaskTools } from "./task-tools";

/**
 * Chorus as an MCP server at `POST /api/v1/mcp` (docs/mcp-server.md): Streamable HTTP in stateless
 * mode, as the SDK's stateless example serves it — a fresh McpServer and transport per request,
 * bound to the request's caller (the API key that connected), so nothing is kept between requests
 * and any process can answer any request. The route table has already authenticated the key,
 * rate-limited it and read the body; what the transport refuses (a wrong Accept header, a message
 * that is not JSON-RPC) is answered as Chorus's other errors are, naming the field.
 */
export const MCP_SERVER_INFO = { name: "chorus", version: "1.0.0" };

/** One JSON-RPC request or notification from the client (a batch is not supported: MCP 2025-06 dropped them). */
export const mcpMessageInput = z.object({
  jsonrpc: z.literal("2.0", { error: 'jsonrpc must be "2.0"' }),
  id: z.union([z.string().max(200), z.number().int()], { error: "id must be a string or an integer" }).optional(),
  method: z.string({ error: "method is required: a JSON-RPC request or notification" }).min(1).max(200),
  params: z.record(z.string(), z.unknown(), { error: "params must be an object" }).optional(),
});

/** The request headers the transport reads; the rest (cookies, the key) stay out of the tools' reach. */
const TRANSPORT_HEADERS = ["accept", "content-type", "mcp-protocol-version", "mcp-session-id"];

const codeForStatus: Record<number, ErrorCode> = {
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

export async function answerMcpRequest(
  caller: Caller,
  request: { body: unknown; headers: Headers; signal: AbortSignal },
): Promise<Response> {
  requirePermission(caller, "read");
  const accept = request.headers.get("accept") ?? "";
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) {
    throw new AppError("bad_request", "An MCP client must accept both application/json and text/event-stream", "accept");
  }
  const message = parseInput(mcpMessageInput, request.body);
  // The SDK's server side loads on the first MCP request (it costs start-up time every process would pay).
  const [{ McpServer }, { WebStandardStreamableHTTPServerTransport }] = await Promise.all([
    import("@modelcontextprotocol/sdk/server/mcp.js"),
    import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"),
  ]);
  const server = new McpServer(MCP_SERVER_INFO, {
    instructions:
      "Chorus runs multi-agent tasks for this team: run_task hands it a request and returns the result (or the task id to read later with get_task); list_tasks shows recent ones.",
  });
  registerTaskTools(server, caller);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  const close = () => void Promise.allSettled([transport.close(), server.close()]);
  await server.connect(transport);
  const headers = new Headers();
  for (const name of TRANSPORT_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const response = await transport.handleRequest(
    new Request("http://chorus.internal/api/v1/mcp", { method: "POST", headers, signal: request.signal }),
    { parsedBody: message },
  );
  if (response.status >= 400) {
    close();
    throw new AppError(codeForStatus[response.status] ?? "bad_request", await transportErrorMessage(response), "body");
  }
  // The request ends when the client has its answer or goes away; either way the pair is done.
  if (request.signal.aborted) close();
  else request.signal.addEventListener("abort", close, { once: true });
  return response;
}

async function transportErrorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: unknown } };
    if (typeof body.error?.message === "string") return body.error.message;
  } catch {
    // Not JSON: the status says it.
  }
  return `The MCP request was refused (${response.status})`;
}
