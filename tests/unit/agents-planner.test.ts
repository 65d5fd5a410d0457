import type { LanguageModelV3GenerateResult } from "@ai-sdk/provider";
import { MockLanguageModelV3 } from "ai/test";
import { describe, expect, it } from "vitest";
import { buildDefaultPlan } from "@/server/agents/default-plan";
import { createPlan } from "@/server/agents/planner";
import { createCustomAgent, listAgents } from "@/server/agents/registry";
import { createOfflineModel } from "@/server/llm/offline-model";

const agents = listAgents();
const prompt = "Write a market research brief on electric bikes in Europe";

/** A planner model that answers every request with the given text. */
function modelAnswering(text: string) {
  const result: LanguageModelV3GenerateResult = {
    content: [{ type: "text", text }],
    finishReason: { unified: "stop", raw: "stop" },
    usage: {
      inputTokens: { total: 900, noCache: 900, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: 120, text: 120, reasoning: 0 },
    },
    response: { modelId: "gpt-4o-mini-2024-07-18" },
    warnings: [],
  };
  return new MockLanguageModelV3({ provider: "openai.chat", modelId: "gpt-4o-mini", doGenerate: result });
}

const step = (id: string, agent: string, dependsOn: string[] = []) => ({
  id,
  agent,
  subtask: `Do ${id}`,
  dependsOn,
  reason: `${agent} suits ${id}`,
});

describe("createPlan", () => {
  it("uses the offline model's plan as is: research → analysis → synthesis", async () => {
    const result = await createPlan({ prompt, agents, model: createOfflineModel({ tokenDelayMs: 0 }) });
    expect(result.source).toBe("model");
    expect(result.notes).toEqual([]);
    expect(result.plan).toEqual(buildDefaultPlan(prompt));
    expect(result.modelId).toBe("chorus-offline");
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.costUsd).toBe(0);
  });

  it("asks the model for structured output named chorus_plan, listing every agent", async () => {
    const legal = createCustomAgent({
      kind: "legal-review",
      name: "Legal reviewer",
      description: "Checks legal risk.",
      instructions: "Flag legal risks.",
      capabilities: ["legal review", "compliance"],
    });
    const model = modelAnswering(JSON.stringify({ steps: [step("research", "research"), step("legal", "legal-review", ["research"])] }));
    const result = await createPlan({ prompt, agents: [...agents, legal], model });
    expect(result.source).toBe("model");
    expect(result.plan.steps[1]?.agent).toBe("legal-review");
    const call = model.doGenerateCalls[0];
    expect(call?.responseFormat).toMatchObject({ type: "json", name: "chorus_plan" });
    const system = call?.prompt.find((message) => message.role === "system")?.content ?? "";
    for (const kind of ["research", "analysis", "synthesis", "legal-review"]) expect(system).toContain(`- ${kind}`);
  });

  it("records the planner's usage, model and cost", async () => {
    const result = await createPlan({ prompt, agents, model: modelAnswering(JSON.stringify(buildDefaultPlan(prompt))) });
    expect(result.usage).toEqual({ inputTokens: 900, outputTokens: 120 });
    expect(result.modelId).toBe("gpt-4o-mini-2024-07-18");
    expect(result.costUsd).toBeCloseTo((900 * 0.15 + 120 * 0.6) / 1e6, 10);
  });

  it("repairs a fixable plan and reports what changed", async () => {
    const answer = {
      steps: [
        { ...step("Find Facts", "researcher") },
        { ...step("write", "writer", ["Find Facts", "nowhere"]), subtask: "Write the final summary" },
      ],
    };
    const result = await createPlan({ prompt, agents, model: modelAnswering(JSON.stringify(answer)) });
    expect(result.source).toBe("repaired");
    expect(result.plan.steps.map((s) => [s.id, s.agent, s.dependsOn])).toEqual([
      ["find-facts", "research", []],
      ["write", "synthesis", ["find-facts"]],
    ]);
    expect(result.notes).toEqual([
      'step 1: id "Find Facts" → "find-facts"',
      'step "find-facts": agent "researcher" → "research" (closest capabilities)',
      'step "write": agent "writer" → "synthesis" (closest capabilities)',
      'step "write": dropped dependency on unknown step "nowhere"',
    ]);
  });

  it("reads a plan wrapped in a markdown code fence", async () => {
    const fenced = "Here is the plan:\n```json\n" + JSON.stringify(buildDefaultPlan(prompt)) + "\n```";
    const result = await createPlan({ prompt, agents, model: modelAnswering(fenced) });
    expect(result.source).toBe("model");
    expect(result.plan).toEqual(buildDefaultPlan(prompt));
  });

  it("falls back to the default chain when the answer is not JSON, and says why", async () => {
    const result = await createPlan({ prompt, agents, model: modelAnswering("I would research first, then write it up.") });
    expect(result.source).toBe("fallback");
    expect(result.plan).toEqual(buildDefaultPlan(prompt));
    expect(result.notes[0]).toMatch(/^the model's answer was not JSON: "I would research first/);
    expect(result.notes.at(-1)).toBe("used the default research → analysis → synthesis plan instead");
    for (const s of result.plan.steps) expect(s.reason).not.toBe("");
  });

  it("falls back when the plan cannot be repaired (a cycle), naming the steps", async () => {
    const cyclic = { steps: [step("a", "research", ["b"]), step("b", "synthesis", ["a"])] };
    const result = await createPlan({ prompt, agents, model: modelAnswering(JSON.stringify(cyclic)) });
    expect(result.source).toBe("fallback");
    expect(result.notes).toContain('model plan: dependency cycle: "a" → "b" → "a"');
  });

  it("falls back on JSON of the wrong shape", async () => {
    for (const garbage of [
      "[]",
      '{"steps": "research, then write"}',
      '{"plan": []}',
      "null",
      '{"steps":[{"id":"x","agent":"juggler","subtask":"juggle","dependsOn":[],"reason":"fun"}]}',
    ]) {
      const result = await createPlan({ prompt, agents, model: modelAnswering(garbage) });
      expect(result.source, garbage).toBe("fallback");
      expect(result.plan.steps.map((s) => s.agent)).toEqual(["research", "analysis", "synthesis"]);
    }
  });

  it("throws provider failures instead of hiding them behind the fallback, so the step can retry", async () => {
    const failing = new MockLanguageModelV3({
      doGenerate: async () => {
        throw new Error("connect ECONNREFUSED 127.0.0.1:11434");
      },
    });
    await expect(createPlan({ prompt, agents, model: failing })).rejects.toThrow(/ECONNREFUSED/);
  });

  it("rejects with an AbortError when cancelled", async () => {
    await expect(
      createPlan({ prompt, agents, model: createOfflineModel({ tokenDelayMs: 0 }), abortSignal: AbortSignal.abort() }),
    ).rejects.toMatchObject({
      name: "AbortError",
    });
  });
});
