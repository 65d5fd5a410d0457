import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildDefaultPlan } from "@/server/agents/default-plan";
import { PROXY_ERROR_PAGE } from "./openai-wire-server";

/**
 * A local server speaking OpenAI's Responses API (POST /v1/responses), as OpenAI, vLLM and recent
 * Ollama serve it: the planner's structured output as a JSON response (the request's
 * `text.format` json_schema answered with the plan as `output_text`), and agents' answers as the
 * Responses SSE events — `response.created`, `response.output_item.added`,
 * `response.output_text.delta`, `response.function_call_arguments.delta`,
 * `response.output_item.done`, `response.completed` with usage (cached input and reasoning tokens
 * included), and `error` / `response.failed` mid-stream. Its replies mirror openai-wire-server.ts's
 * (HTTP errors with headers, tool calls, stall, drop, error, hang, pauses), plus malformed streams.
 * The real @ai-sdk/openai Responses model runs against it.
 */

export type ResponsesInputItem =
  | { role: string; content: string | Array<{ type: string; text?: string }>; type?: "message" }
  | { type: "function_call"; call_id: string; name: string; arguments: string; id?: string }
  | { type: "function_call_output"; call_id: string; output: unknown }
  | { type: string; [field: string]: unknown };

export interface ResponsesRequest {
  model?: string;
  stream?: boolean;
  input: ResponsesInputItem[];
  tools?: Array<{ type: string; name?: string }>;
  text?: { format?: { type: string; name?: string; schema?: unknown } };
  max_output_tokens?: number;
  store?: boolean;
  [field: string]: unknown;
}

export interface RecordedResponsesRequest {
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: ResponsesRequest;
}

/** Token counts as the Responses API reports them. */
export interface ResponsesUsage {
  input: number;
  output: number;
  cachedInput?: number;
  reasoning?: number;
}

export type ResponsesReply =
  | { status: number; message: string; headers?: Record<string, string> }
  | { toolCall: { name: string; arguments: Record<string, unknown> } }
  /** Never answer; `foreverStreamClosed` resolves when the client gives up. */
  | { hang: true }
  /** The normal streamed answer, with a pause before each piece. */
  | { pauseMs: number }
  /** The first pieces, then silence with the connection open (a provider that stalls). */
  | { stallAfterPieces: number }
  /** The first pieces, then the connection dropped. */
  | { dropAfterPieces: number }
  /** The first pieces, then an `error` event (as OpenAI reports one mid-stream) and the end. */
  | { errorAfterPieces: number }
  /** The first pieces, then a `response.failed` event with the provider's error. */
  | { failedAfterPieces: number }
  /** The first pieces, then a `data:` line that is not JSON ("not-json") or an event of the wrong shape ("wrong-shape"), then the end. */
  | { malformedAfterPieces: number; malformed?: "not-json" | "wrong-shape" }
  /** 200 with `content-type: text/event-stream` whose body is an HTML page: a proxy's error page. */
  | { htmlEventStream: true };

export interface ResponsesWireServerOptions {
  /** The model id the server reports. */
  model?: string;
  /** The text pieces of a streamed answer. */
  pieces?: string[];
  streamUsage?: ResponsesUsage;
  planUsage?: ResponsesUsage;
  /** The plan returned for structured output, from the request's text. */
  plan?: (requestText: string) => unknown;
  /** A special reply for a request, or undefined for the normal one. */
  respond?: (request: ResponsesRequest, index: number) => ResponsesReply | undefined;
}

/** Every text the request carries (instructions, messages, tool outputs), joined: what tests match markers in. */
export function responsesRequestText(request: ResponsesRequest): string {
  return request.input
    .map((item) => {
      if ("content" in item && typeof item.content === "string") return item.content;
      if ("content" in item && Array.isArray(item.content)) return item.content.map((part) => part.text ?? "").join("\n");
      if (item.type === "function_call_output") return typeof item.output === "string" ? item.output : JSON.stringify(item.output);
      return "";
    })
    .join("\n");
}

/** The system (or developer) instructions of a request. */
export function responsesSystemText(request: ResponsesRequest): string {
  return request.input
    .filter((item) => "role" in item && (item.role === "system" || item.role === "developer"))
    .map((item) => ("content" in item && typeof item.content === "string" ? item.content : ""))
    .join("\n");
}

export async function startOpenAiResponsesWireServer(options: ResponsesWireServerOptions = {}) {
  const model = options.model ?? "responses-test-model";
  const pieces = options.pieces ?? ["# Notes\n\n", "- One finding.\n", "- Another finding.\n"];
  const streamUsage = options.streamUsage ?? { input: 40, output: 12, cachedInput: 8, reasoning: 4 };
  const planUsage = options.planUsage ?? { input: 100, output: 50, cachedInput: 20, reasoning: 10 };
  const requests: RecordedResponsesRequest[] = [];
  let foreverClosed: Promise<void> = Promise.resolve();
  let responseCount = 0;

  const usageOf = (usage: ResponsesUsage) => ({
    input_tokens: usage.input,
    input_tokens_details: { cached_tokens: usage.cachedInput ?? 0 },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
    total_tokens: usage.input + usage.output,
  });
  const responseObject = (id: string, status: string, extra: Record<string, unknown> = {}) => ({
    id,
    object: "response",
    created_at: 1_700_000_000,
    status,
    model,
    output: [],
    incomplete_details: null,
    error: null,
    usage: null,
    ...extra,
  });

  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (data: Buffer) => (raw += data.toString()));
    req.on("end", () => {
      const body = JSON.parse(raw || "{}") as ResponsesRequest;
      body.input ??= [];
      requests.push({ url: req.url, headers: req.headers, body });
      const special = options.respond?.(body, requests.length - 1);
      const id = `resp_${++responseCount}`;
      if (special && "status" in special) {
        res.writeHead(special.status, { "content-type": "application/json", ...special.headers });
        res.end(JSON.stringify({ error: { message: special.message, type: "server_error", param: null, code: null } }));
        return;
      }
      if (special && "hang" in special) {
        let closed!: () => void;
        foreverClosed = new Promise((resolve) => (closed = resolve));
        res.on("close", () => closed());
        return;
      }
      const text = responsesRequestText(body);
      if (!body.stream) {
        const plan = (options.plan ?? ((prompt) => buildDefaultPlan(prompt.slice(0, 200))))(text);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify(
            responseObject(id, "completed", {
              output: [
                {
                  type: "message",
                  id: `msg_${id}`,
                  status: "completed",
                  role: "assistant",
                  content: [{ type: "output_text", text: JSON.stringify(plan), annotations: [] }],
                },
              ],
              usage: usageOf(planUsage),
            }),
          ),
        );
        return;
      }
      if (special && "htmlEventStream" in special) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(PROXY_ERROR_PAGE);
        return;
      }

      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      let sequence = 0;
      const event = (payload: Record<string, unknown>) =>
        res.write(`event: ${String(payload.type)}\ndata: ${JSON.stringify({ ...payload, sequence_number: sequence++ })}\n\n`);
      event({ type: "response.created", response: responseObject(id, "in_progress") });

      if (special && "toolCall" in special) {
        const item = { type: "function_call", id: `fc_${id}`, call_id: `call_${id}`, name: special.toolCall.name };
        const args = JSON.stringify(special.toolCall.arguments);
        event({ type: "response.output_item.added", output_index: 0, item: { ...item, arguments: "", status: "in_progress" } });
        event({ type: "response.function_call_arguments.delta", item_id: item.id, output_index: 0, delta: args.slice(0, 5) });
        event({ type: "response.function_call_arguments.delta", item_id: item.id, output_index: 0, delta: args.slice(5) });
        event({ type: "response.function_call_arguments.done", item_id: item.id, output_index: 0, arguments: args });
        event({ type: "response.output_item.done", output_index: 0, item: { ...item, arguments: args, status: "completed" } });
        event({
          type: "response.completed",
          response: responseObject(id, "completed", { usage: usageOf({ ...streamUsage, output: 8 }) }),
        });
        res.end();
        return;
      }

      const messageId = `msg_${id}`;
      const message = { type: "message", id: messageId, role: "assistant" };
      event({ type: "response.output_item.added", output_index: 0, item: { ...message, status: "in_progress", content: [] } });
      const delta = (piece: string) =>
        event({ type: "response.output_text.delta", item_id: messageId, output_index: 0, content_index: 0, delta: piece });
      const complete = () => {
        const all = pieces.join("");
        event({
          type: "response.output_item.done",
          output_index: 0,
          item: { ...message, status: "completed", content: [{ type: "output_text", text: all, annotations: [] }] },
        });
        event({ type: "response.completed", response: responseObject(id, "completed", { usage: usageOf(streamUsage) }) });
        res.end();
      };

      if (special && "stallAfterPieces" in special) {
        let closed!: () => void;
        foreverClosed = new Promise((resolve) => (closed = resolve));
        res.on("close", () => closed());
        for (const piece of pieces.slice(0, special.stallAfterPieces)) delta(piece);
        return;
      }
      if (special && "dropAfterPieces" in special) {
        for (const piece of pieces.slice(0, special.dropAfterPieces)) delta(piece);
        // Let the pieces reach the client before the connection goes.
        setTimeout(() => res.destroy(), 50);
        return;
      }
      if (special && "errorAfterPieces" in special) {
        for (const piece of pieces.slice(0, special.errorAfterPieces)) delta(piece);
        event({ type: "error", code: "server_error", message: "The server had an error while processing your request.", param: null });
        res.end();
        return;
      }
      if (special && "failedAfterPieces" in special) {
        for (const piece of pieces.slice(0, special.failedAfterPieces)) delta(piece);
        event({
          type: "response.failed",
          response: responseObject(id, "failed", { error: { code: "server_error", message: "The model failed to finish." } }),
        });
        res.end();
        return;
      }
      if (special && "malformedAfterPieces" in special) {
        for (const piece of pieces.slice(0, special.malformedAfterPieces)) delta(piece);
        if (special.malformed === "wrong-shape")
          res.write(`data: ${JSON.stringify({ type: "response.output_text.delta", delta: 42 })}\n\n`);
        else res.write("data: {this is not json\n\n");
        res.end();
        return;
      }
      if (special && "pauseMs" in special) {
        void (async () => {
          for (const piece of pieces) {
            await new Promise((resolve) => setTimeout(resolve, special.pauseMs));
            if (res.destroyed) return;
            delta(piece);
          }
          complete();
        })();
        return;
      }
      for (const piece of pieces) delta(piece);
      complete();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    /** Resolves when the client closed the last stalled stream or unanswered request. */
    foreverStreamClosed: () => foreverClosed,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
