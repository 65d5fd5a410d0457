import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { buildDefaultPlan } from "../../server/agents/default-plan";

/**
 * A model provider that fails on purpose, for the model-service fault run: a local server
 * speaking OpenAI's Chat Completions wire format (JSON for the planner's structured output,
 * SSE for streamed agent text, usage on both) that answers a share of requests with a 500, a 429
 * with Retry-After, or a timeout — a stream that stalls after its first piece, or a planner
 * request never answered — and, for an outage window, fails every request. Deterministic given
 * its seed. The real @ai-sdk/openai client runs against it.
 */
export type Fault = "500" | "429" | "timeout";

/** A streamed answer's pace: a real provider takes time, so calls overlap as they would in production. */
const PIECE_DELAY_MS = 20;

export interface FlakyServerOptions {
  model: string;
  /** Share of requests (0–1) that fail, split evenly between the three faults. */
  failureRate: number;
  seed: number;
  /** While `outage()` is true every request fails with a 500 (a provider that is down). */
  outage?: () => boolean;
}

export async function startFlakyOpenAiServer(options: FlakyServerOptions) {
  let state = options.seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const counts = { requests: 0, ok: 0, "500": 0, "429": 0, timeout: 0 } as Record<"requests" | "ok" | Fault, number>;
  const sse = (res: ServerResponse, payload: unknown) =>
    res.write(`data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`);
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id: "chatcmpl-flaky",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: options.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (data: Buffer) => (raw += data.toString()));
    req.on("end", () => {
      counts.requests += 1;
      const body = JSON.parse(raw || "{}") as { stream?: boolean; messages?: Array<{ content: unknown }> };
      const text = (body.messages ?? [])
        .map((message) => (typeof message.content === "string" ? message.content : JSON.stringify(message.content)))
        .join("\n");
      const draw = random();
      const fault: Fault | undefined = options.outage?.()
        ? "500"
        : draw < options.failureRate / 3
          ? "500"
          : draw < (2 * options.failureRate) / 3
            ? "429"
            : draw < options.failureRate
              ? "timeout"
              : undefined;
      if (fault === "500" || fault === "429") {
        counts[fault] += 1;
        res.writeHead(Number(fault), { "content-type": "application/json", ...(fault === "429" ? { "retry-after": "1" } : {}) });
        res.end(
          JSON.stringify({ error: { message: fault === "429" ? "Rate limit reached" : "The server had an error", type: "server_error" } }),
        );
        return;
      }
      if (fault === "timeout") {
        counts.timeout += 1;
        // A stream: its first piece, then silence with the connection open. A planner request: no answer at all.
        if (body.stream) {
          res.writeHead(200, { "content-type": "text/event-stream" });
          sse(res, chunk({ role: "assistant", content: "Partial " }));
        }
        return;
      }
      counts.ok += 1;
      if (!body.stream) {
        const content = JSON.stringify(buildDefaultPlan(text.slice(0, 200)));
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id: "chatcmpl-flaky-plan",
            object: "chat.completion",
            created: 1_700_000_000,
            model: options.model,
            choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
            usage: { prompt_tokens: tokens(text), completion_tokens: tokens(content), total_tokens: tokens(text) + tokens(content) },
          }),
        );
        return;
      }
      const pieces = ["# Findings\n\n", "- The first finding, from the flaky provider.\n", "- A second finding.\n", "- A third finding.\n"];
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      sse(res, chunk({ role: "assistant", content: "" }));
      void (async () => {
        for (const piece of pieces) {
          await new Promise((resolve) => setTimeout(resolve, PIECE_DELAY_MS));
          if (res.destroyed) return;
          sse(res, chunk({ content: piece }));
        }
        sse(res, chunk({}, "stop"));
        const completion = tokens(pieces.join(""));
        sse(res, {
          id: "chatcmpl-flaky",
          object: "chat.completion.chunk",
          created: 1_700_000_000,
          model: options.model,
          choices: [],
          usage: { prompt_tokens: tokens(text), completion_tokens: completion, total_tokens: tokens(text) + completion },
        });
        sse(res, "[DONE]");
        res.end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
