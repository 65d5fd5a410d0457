import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll } from "vitest";
import { buildDefaultPlan } from "@/server/agents/default-plan";

/**
 * A local server speaking OpenAI's Chat Completions wire format (what OpenAI, Ollama, vLLM and
 * LiteLLM serve): JSON for the planner's structured output, SSE chunks for streamed agent
 * text, streamed tool calls, HTTP errors, and a stream that never ends, stalls after its first
 * pieces, or a request never answered (to prove a cancel or a deadline closes the connection), and
 * malformed streams (a line that is not JSON, a chunk of the wrong shape, a proxy's HTML page). The real @ai-sdk/openai client runs against it via OPENAI_BASE_URL.
 * It also serves embeddings (`POST /v1/embeddings`, given `embed`), lists models (`GET /v1/models`, as the `openai` client's `models.list()` asks) and, given
 * `apiKey`, refuses any other bearer token with OpenAI's 401 — echoing the token, as real
 * providers do, so tests can prove Chorus never repeats it.
 */
export interface ChatRequest {
  stream?: boolean;
  model?: string;
  messages: Array<{ role: string; content: string }>;
  tools?: Array<{ type: string; function: { name: string } }>;
  [key: string]: unknown;
}

export interface RecordedRequest {
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: ChatRequest;
}

type Reply =
  | { status: number; message: string; headers?: Record<string, string> }
  | { toolCall: { name: string; arguments: Record<string, unknown> } }
  | { streamForever: true }
  /** Never answer (a planner call that takes forever); `foreverStreamClosed` resolves when the client gives up. */
  | { hang: true }
  /** The normal streamed answer, with a pause before each piece (a model that takes its time). */
  | { pauseMs: number }
  /** The first `pieces` pieces of the answer, then silence with the connection open (a provider that stalls); `foreverStreamClosed` resolves when the client gives up. */
  | { stallAfterPieces: number }
  /** The first `pieces` pieces of the answer, then the connection dropped (a provider that dies mid-answer). */
  | { dropAfterPieces: number }
  /** The first `pieces` pieces of the answer, then a server error in the stream (as OpenAI reports one mid-stream) and the end. */
  | { errorAfterPieces: number }
  /** The first `pieces` pieces, then a `data:` line that is not JSON ("not-json", the default) or a chunk of the wrong shape ("wrong-shape"), and the end. */
  | { malformedAfterPieces: number; malformed?: "not-json" | "wrong-shape" }
  /** 200 with `content-type: text/event-stream` whose body is an HTML page: a proxy's error page. */
  | { htmlEventStream: true };

export interface WireServerOptions {
  /** The model id the server reports. */
  model?: string;
  /** The text pieces of a streamed answer. */
  pieces?: string[];
  streamUsage?: { prompt: number; completion: number };
  planUsage?: { prompt: number; completion: number };
  /** The plan returned for structured output, from the request's text. */
  plan?: (requestText: string) => unknown;
  /** When set, only `Authorization: Bearer <apiKey>` is accepted; anything else gets 401. */
  apiKey?: string;
  /** A special reply for a request (an error, a tool call, an endless stream), or undefined for the normal one. */
  respond?: (request: ChatRequest, index: number) => Reply | undefined;
  /** Serves `POST /v1/embeddings` (OpenAI's embeddings wire format): the vector for each input text. */
  embed?: (input: string) => number[];
}

/** What a reverse proxy answers when the model server behind it is down, sent as if it were a stream. */
export const PROXY_ERROR_PAGE =
  "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n</body>\n</html>\n";

export async function startOpenAiWireServer(options: WireServerOptions = {}) {
  const model = options.model ?? "wire-test-model";
  const pieces = options.pieces ?? ["# Notes\n\n", "- One finding.\n", "- Another finding.\n"];
  const streamUsage = options.streamUsage ?? { prompt: 40, completion: 12 };
  const planUsage = options.planUsage ?? { prompt: 100, completion: 50 };
  const requests: RecordedRequest[] = [];
  let foreverClosed: Promise<void> = Promise.resolve();
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id: "chatcmpl-test",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const sse = (res: ServerResponse, payload: unknown) =>
    res.write(`data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`);
  const finish = (res: ServerResponse, usage: { prompt: number; completion: number }) => {
    sse(res, {
      id: "chatcmpl-test",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model,
      choices: [],
      usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
    });
    sse(res, "[DONE]");
    res.end();
  };

  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (data: Buffer) => (raw += data.toString()));
    req.on("end", () => {
      if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        requests.push({ url: req.url, headers: req.headers, body: { messages: [] } });
        res.writeHead(401, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            error: {
              message: `Incorrect API key provided: ${req.headers.authorization ?? ""}`,
              type: "invalid_request_error",
              code: "invalid_api_key",
            },
          }),
        );
        return;
      }
      if (req.method === "GET" && req.url?.endsWith("/models")) {
        requests.push({ url: req.url, headers: req.headers, body: { messages: [] } });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            object: "list",
            data: [model, "wire-test-other"].map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "wire-test" })),
          }),
        );
        return;
      }
      const body = JSON.parse(raw) as ChatRequest;
      requests.push({ url: req.url, headers: req.headers, body });
      if (req.url?.endsWith("/embeddings") && options.embed) {
        const special = options.respond?.(body, requests.length - 1);
        if (special && "status" in special) {
          res.writeHead(special.status, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: special.message, type: "invalid_request_error" } }));
          return;
        }
        const inputs = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            object: "list",
            data: inputs.map((input, index) => ({ object: "embedding", index, embedding: options.embed!(input) })),
            model,
            usage: { prompt_tokens: inputs.length * 8, total_tokens: inputs.length * 8 },
          }),
        );
        return;
      }
      const special = options.respond?.(body, requests.length - 1);
      if (special && "status" in special) {
        res.writeHead(special.status, { "content-type": "application/json", ...special.headers });
        res.end(JSON.stringify({ error: { message: special.message, type: "invalid_request_error" } }));
        return;
      }
      if (special && "hang" in special) {
        let closed!: () => void;
        foreverClosed = new Promise((resolve) => (closed = resolve));
        res.on("close", () => closed());
        return;
      }
      const text = body.messages.map((message) => message.content).join("\n");
      if (!body.stream) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id: "chatcmpl-plan",
            object: "chat.completion",
            created: 1_700_000_000,
            model,
            choices: [
              {
                index: 0,
                message: {
                  role: "assistant",
                  content: JSON.stringify((options.plan ?? ((prompt) => buildDefaultPlan(prompt.slice(0, 200))))(text)),
                },
                finish_reason: "stop",
              },
            ],
            usage: {
              prompt_tokens: planUsage.prompt,
              completion_tokens: planUsage.completion,
              total_tokens: planUsage.prompt + planUsage.completion,
            },
          }),
        );
        return;
      }
      if (special && "htmlEventStream" in special) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(PROXY_ERROR_PAGE);
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      if (special && "streamForever" in special) {
        let closed!: () => void;
        foreverClosed = new Promise((resolve) => (closed = resolve));
        const timer = setInterval(() => sse(res, chunk({ content: "tick " })), 10);
        res.on("close", () => {
          clearInterval(timer);
          closed();
        });
        return;
      }
      if (special && "toolCall" in special) {
        const call = {
          index: 0,
          id: `call_${requests.length}`,
          type: "function",
          function: { name: special.toolCall.name, arguments: "" },
        };
        sse(res, chunk({ role: "assistant", content: null, tool_calls: [call] }));
        sse(res, chunk({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(special.toolCall.arguments) } }] }));
        sse(res, chunk({}, "tool_calls"));
        finish(res, { prompt: streamUsage.prompt, completion: 8 });
        return;
      }
      sse(res, chunk({ role: "assistant", content: "" }));
      if (special && "stallAfterPieces" in special) {
        let closed!: () => void;
        foreverClosed = new Promise((resolve) => (closed = resolve));
        res.on("close", () => closed());
        for (const piece of pieces.slice(0, special.stallAfterPieces)) sse(res, chunk({ content: piece }));
        return;
      }
      if (special && "dropAfterPieces" in special) {
        for (const piece of pieces.slice(0, special.dropAfterPieces)) sse(res, chunk({ content: piece }));
        // Let the pieces reach the client before the connection goes.
        setTimeout(() => res.destroy(), 50);
        return;
      }
      if (special && "errorAfterPieces" in special) {
        for (const piece of pieces.slice(0, special.errorAfterPieces)) sse(res, chunk({ content: piece }));
        sse(res, { error: { message: "The server had an error while processing your request.", type: "server_error", code: null } });
        res.end();
        return;
      }
      if (special && "malformedAfterPieces" in special) {
        for (const piece of pieces.slice(0, special.malformedAfterPieces)) sse(res, chunk({ content: piece }));
        if (special.malformed === "wrong-shape") sse(res, { id: "chatcmpl-test", object: "chat.completion.chunk", choices: "none" });
        else sse(res, "{this is not json");
        res.end();
        return;
      }
      if (special && "pauseMs" in special) {
        void (async () => {
          for (const piece of pieces) {
            await new Promise((resolve) => setTimeout(resolve, special.pauseMs));
            if (res.destroyed) return;
            sse(res, chunk({ content: piece }));
          }
          sse(res, chunk({}, "stop"));
          finish(res, streamUsage);
        })();
        return;
      }
      for (const piece of pieces) sse(res, chunk({ content: piece }));
      sse(res, chunk({}, "stop"));
      finish(res, streamUsage);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    /** Resolves when the client closed the last endless stream or unanswered request. */
    foreverStreamClosed: () => foreverClosed,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Starts the wire server for the test file and points Chorus's provider config at it (OPENAI_BASE_URL). */
export function useOpenAiWireServer(options: WireServerOptions = {}) {
  let server: Awaited<ReturnType<typeof startOpenAiWireServer>> | undefined;
  beforeAll(async () => {
    server = await startOpenAiWireServer(options);
    process.env.OPENAI_BASE_URL = server.baseURL;
  });
  afterAll(async () => {
    delete process.env.OPENAI_BASE_URL;
    await server?.close();
  });
  return {
    get requests() {
      return (server?.requests ?? []).map((request) => request.body);
    },
    /** Resolves when the client closed the last endless stream or unanswered request. */
    foreverStreamClosed: () => server!.foreverStreamClosed(),
  };
}
