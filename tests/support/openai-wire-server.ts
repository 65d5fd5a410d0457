import { createServer, type Server, type ServerResponse } from "node:http";
import { afterAll, beforeAll } from "vitest";
import type { AddressInfo } from "node:net";
import { buildDefaultPlan } from "@/server/agents/default-plan";

/**
 * A local server speaking OpenAI's Chat Completions wire format (JSON for the planner's
 * structured output, SSE chunks for streamed agent text), so the real @ai-sdk/openai client
 * runs against it through OPENAI_BASE_URL. `respond` may answer a request with an HTTP error.
 */
export interface ChatRequest {
  stream?: boolean;
  messages: Array<{ role: string; content: string }>;
  tools?: Array<{ type: string; function: { name: string } }>;
}

type Response = { status: number; message: string } | { toolCall: { name: string; arguments: Record<string, unknown> } };

export async function startOpenAiWireServer(options: { model?: string; respond?: (request: ChatRequest, index: number) => Response | undefined } = {}) {
  const model = options.model ?? "wire-test-model";
  const requests: ChatRequest[] = [];
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id: "chatcmpl-test",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const sse = (res: ServerResponse, payload: unknown) => res.write(`data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`);

  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (data: Buffer) => (raw += data.toString()));
    req.on("end", () => {
      const body = JSON.parse(raw) as ChatRequest;
      requests.push(body);
      const special = options.respond?.(body, requests.length - 1);
      if (special && "status" in special) {
        res.writeHead(special.status, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: special.message, type: "invalid_request_error" } }));
        return;
      }
      if (special && "toolCall" in special) {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        const call = { index: 0, id: `call_${requests.length}`, type: "function", function: { name: special.toolCall.name, arguments: "" } };
        sse(res, chunk({ role: "assistant", content: null, tool_calls: [call] }));
        sse(res, chunk({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(special.toolCall.arguments) } }] }));
        sse(res, chunk({}, "tool_calls"));
        sse(res, { id: "chatcmpl-test", object: "chat.completion.chunk", created: 1_700_000_000, model, choices: [], usage: { prompt_tokens: 40, completion_tokens: 8, total_tokens: 48 } });
        sse(res, "[DONE]");
        res.end();
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
            choices: [{ index: 0, message: { role: "assistant", content: JSON.stringify(buildDefaultPlan(text.slice(0, 200))) }, finish_reason: "stop" }],
            usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
          }),
        );
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      sse(res, chunk({ role: "assistant", content: "" }));
      for (const piece of ["# Notes\n\n", "- One finding.\n", "- Another finding.\n"]) sse(res, chunk({ content: piece }));
      sse(res, chunk({}, "stop"));
      sse(res, { id: "chatcmpl-test", object: "chat.completion.chunk", created: 1_700_000_000, model, choices: [], usage: { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 } });
      sse(res, "[DONE]");
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Starts the wire server for the test file and points Chorus's provider config at it (OPENAI_BASE_URL). */
export function useOpenAiWireServer(options: Parameters<typeof startOpenAiWireServer>[0] = {}) {
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
      return server?.requests ?? [];
    },
  };
}
