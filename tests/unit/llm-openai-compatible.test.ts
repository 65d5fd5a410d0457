import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { buildDefaultPlan } from "@/server/agents/default-plan";
import { createPlan } from "@/server/agents/planner";
import { getAgent, listAgents } from "@/server/agents/registry";
import type { Subtask } from "@/server/agents/types";
import { createLanguageModel, resolveModelConfig } from "@/server/llm/providers";

/**
 * The OpenAI-compatible path end to end: the real @ai-sdk/openai client, configured only
 * through OPENAI_BASE_URL, talking to a local server that speaks the Chat Completions wire
 * format (what Ollama, vLLM and LiteLLM serve).
 */

interface RecordedRequest {
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> & { messages: Array<{ role: string; content: string }> };
}

const SERVED_MODEL = "local-llama-3.1-8b-instruct";
const PIECES = ["# Research notes", ": tidal power\n\n", "- Tidal range ", "is predictable.\n", "- Costs are high."];
const requests: RecordedRequest[] = [];
let slowStreamClosed: Promise<void> = Promise.resolve();
let server: Server;
let baseURL: string;

function chunk(delta: Record<string, unknown>, finishReason: string | null = null) {
  return { id: "chatcmpl-test", object: "chat.completion.chunk", created: 1_700_000_000, model: SERVED_MODEL, choices: [{ index: 0, delta, finish_reason: finishReason }] };
}

function sse(res: ServerResponse, payload: unknown) {
  res.write(`data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (data: Buffer) => (raw += data.toString()));
    req.on("end", () => {
      const body = JSON.parse(raw) as RecordedRequest["body"];
      requests.push({ url: req.url, headers: req.headers, body });
      const userText = body.messages.map((message) => message.content).join("\n");

      if (!body.stream) {
        // Structured output (the planner): a plain chat.completion with JSON content.
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id: "chatcmpl-plan",
            object: "chat.completion",
            created: 1_700_000_000,
            model: SERVED_MODEL,
            choices: [{ index: 0, message: { role: "assistant", content: JSON.stringify(buildDefaultPlan("Compare tidal and wave power")) }, finish_reason: "stop" }],
            usage: { prompt_tokens: 700, completion_tokens: 300, total_tokens: 1000 },
          }),
        );
        return;
      }

      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
      if (userText.includes("SLOW")) {
        // Streams forever until the client goes away: proves a cancel closes the connection.
        let closed!: () => void;
        slowStreamClosed = new Promise((resolve) => (closed = resolve));
        const timer = setInterval(() => sse(res, chunk({ content: "tick " })), 10);
        res.on("close", () => {
          clearInterval(timer);
          closed();
        });
        return;
      }
      sse(res, chunk({ role: "assistant", content: "" }));
      for (const piece of PIECES) sse(res, chunk({ content: piece }));
      sse(res, chunk({}, "stop"));
      sse(res, { id: "chatcmpl-test", object: "chat.completion.chunk", created: 1_700_000_000, model: SERVED_MODEL, choices: [], usage: { prompt_tokens: 321, completion_tokens: 12, total_tokens: 333 } });
      sse(res, "[DONE]");
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  vi.unstubAllEnvs();
  requests.length = 0;
});

const subtask = (instruction: string): Subtask => ({ stepId: "research", agentKind: "research", instruction, taskPrompt: "Brief me on tidal power", dependsOn: [] });

describe("OpenAI-compatible server via OPENAI_BASE_URL", () => {
  it("streams an agent's deltas through the real OpenAI client, configured from the environment alone", async () => {
    vi.stubEnv("OPENAI_BASE_URL", baseURL);
    vi.stubEnv("CHORUS_MODEL", "local-llama");
    vi.stubEnv("OPENAI_API_KEY", "");
    vi.stubEnv("ANTHROPIC_API_KEY", "");
    expect(resolveModelConfig(process.env)).toEqual({ provider: "openai-compatible", modelId: "local-llama", baseURL });

    const deltas: string[] = [];
    // No ctx.model: the agent resolves its model from the environment like production does.
    const result = await getAgent("research").execute(subtask("Gather facts about tidal power."), {
      taskId: "task-1",
      teamId: "team-1",
      upstream: [],
      onDelta: (text) => deltas.push(text),
    });

    expect(deltas).toEqual(PIECES);
    expect(result.text).toBe(PIECES.join(""));
    expect(result.usage).toEqual({ inputTokens: 321, outputTokens: 12 });
    expect(result.modelId).toBe(SERVED_MODEL);
    expect(result.costUsd).toBe(0);

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.url).toBe("/v1/chat/completions");
    expect(request?.headers.authorization).toBe("Bearer not-needed");
    expect(request?.body).toMatchObject({ model: "local-llama", stream: true, stream_options: { include_usage: true } });
    expect(request?.body.messages[0]).toMatchObject({ role: "system" });
    expect(request?.body.messages[0]?.content).toMatch(/^You are the Research agent in Chorus/);
    expect(request?.body.messages[1]?.content).toContain("<your_step id=\"research\">\nGather facts about tidal power.\n</your_step>");
  });

  it("sends the configured API key when there is one, and never returns it", async () => {
    const env = { OPENAI_BASE_URL: baseURL, OPENAI_API_KEY: "sk-local-secret" };
    const config = resolveModelConfig(env);
    expect(JSON.stringify(config)).not.toContain("sk-local-secret");
    await getAgent("research").execute(subtask("Gather facts."), { taskId: "t", teamId: "team", upstream: [], onDelta: () => {}, model: createLanguageModel(config, env) });
    expect(requests[0]?.headers.authorization).toBe("Bearer sk-local-secret");
  });

  it("closes the HTTP stream when the task is cancelled, so spend stops", async () => {
    const model = createLanguageModel(resolveModelConfig({ OPENAI_BASE_URL: baseURL }), {});
    const controller = new AbortController();
    const deltas: string[] = [];
    const running = getAgent("research").execute(subtask("SLOW"), {
      taskId: "t",
      teamId: "team",
      upstream: [],
      model,
      abortSignal: controller.signal,
      onDelta: (text) => {
        deltas.push(text);
        if (deltas.length === 3) controller.abort();
      },
    });
    await expect(running).rejects.toMatchObject({ name: "AbortError" });
    await slowStreamClosed;
    expect(deltas.length).toBe(3);
  });

  it("plans through the same server with structured output named chorus_plan", async () => {
    const model = createLanguageModel(resolveModelConfig({ OPENAI_BASE_URL: baseURL, CHORUS_MODEL: "local-llama" }), {});
    const result = await createPlan({ prompt: "Compare tidal and wave power", agents: listAgents(), model });
    expect(result.source).toBe("model");
    expect(result.plan.steps.map((step) => step.id)).toEqual(["research-tidal", "research-wave-power", "analysis", "synthesis"]);
    expect(result.usage).toEqual({ inputTokens: 700, outputTokens: 300 });
    expect(requests[0]?.body).toMatchObject({ response_format: { type: "json_schema", json_schema: { name: "chorus_plan", strict: true } } });
  });
});
