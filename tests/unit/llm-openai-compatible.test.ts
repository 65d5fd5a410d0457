import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { buildDefaultPlan } from "@/server/agents/default-plan";
import { createPlan } from "@/server/agents/planner";
import { getAgent, listAgents } from "@/server/agents/registry";
import type { Subtask } from "@/server/agents/types";
import { createLanguageModel, resolveModelConfig } from "@/server/llm/providers";
import { startOpenAiWireServer, type RecordedRequest } from "../support/openai-wire-server";

/**
 * The OpenAI-compatible path end to end: the real @ai-sdk/openai client, configured only
 * through OPENAI_BASE_URL, talking to a local server that speaks the Chat Completions wire
 * format (what Ollama, vLLM and LiteLLM serve).
 */

const SERVED_MODEL = "local-llama-3.1-8b-instruct";
const PIECES = ["# Research notes", ": tidal power\n\n", "- Tidal range ", "is predictable.\n", "- Costs are high."];
let wire: Awaited<ReturnType<typeof startOpenAiWireServer>>;
let baseURL: string;
let requests: RecordedRequest[];

beforeAll(async () => {
  wire = await startOpenAiWireServer({
    model: SERVED_MODEL,
    pieces: PIECES,
    streamUsage: { prompt: 321, completion: 12 },
    planUsage: { prompt: 700, completion: 300 },
    plan: () => buildDefaultPlan("Compare tidal and wave power"),
    // Streams forever until the client goes away: proves a cancel closes the connection.
    respond: (request) => (request.messages.some((message) => message.content.includes("SLOW")) ? { streamForever: true } : undefined),
  });
  baseURL = wire.baseURL;
  requests = wire.requests;
});

afterAll(async () => {
  await wire.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
  requests.length = 0;
});

const subtask = (instruction: string): Subtask => ({
  stepId: "research",
  agentKind: "research",
  instruction,
  taskPrompt: "Brief me on tidal power",
  dependsOn: [],
});

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
    expect(request?.body.messages[1]?.content).toContain('<your_step id="research">\nGather facts about tidal power.\n</your_step>');
  });

  it("sends the configured API key when there is one, and never returns it", async () => {
    const env = { OPENAI_BASE_URL: baseURL, OPENAI_API_KEY: "sk-local-secret" };
    const config = resolveModelConfig(env);
    expect(JSON.stringify(config)).not.toContain("sk-local-secret");
    await getAgent("research").execute(subtask("Gather facts."), {
      taskId: "t",
      teamId: "team",
      upstream: [],
      onDelta: () => {},
      model: createLanguageModel(config, env),
    });
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
    await wire.foreverStreamClosed();
    expect(deltas.length).toBe(3);
  });

  it("plans through the same server with structured output named chorus_plan", async () => {
    const model = createLanguageModel(resolveModelConfig({ OPENAI_BASE_URL: baseURL, CHORUS_MODEL: "local-llama" }), {});
    const result = await createPlan({ prompt: "Compare tidal and wave power", agents: listAgents(), model });
    expect(result.source).toBe("model");
    expect(result.plan.steps.map((step) => step.id)).toEqual(["research-tidal", "research-wave-power", "analysis", "synthesis"]);
    expect(result.usage).toEqual({ inputTokens: 700, outputTokens: 300 });
    expect(requests[0]?.body).toMatchObject({
      response_format: { type: "json_schema", json_schema: { name: "chorus_plan", strict: true } },
    });
  });
});
