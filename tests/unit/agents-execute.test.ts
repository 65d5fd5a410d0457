import { MockLanguageModelV3 } from "ai/test";
import { describe, expect, it } from "vitest";
import { createAgent } from "@/server/agents/create-agent";
import { BUILT_IN_AGENT_KINDS, createCustomAgent, getAgent, listAgents, UnknownAgentError } from "@/server/agents/registry";
import type { AgentContext, Subtask } from "@/server/agents/types";
import { createOfflineModel } from "@/server/llm/offline-model";

const taskPrompt =
  "Write a market research brief on electric bikes in Europe. Start from https://www.acem.eu/ebikes and https://acem.eu/ebikes/.";

function subtask(agentKind: string, stepId = agentKind): Subtask {
  return { stepId, agentKind, instruction: `Do the ${agentKind} part of the brief.`, taskPrompt, dependsOn: [] };
}

function context(overrides: Partial<AgentContext> = {}): AgentContext & { deltas: string[] } {
  const deltas: string[] = [];
  return {
    taskId: "task-1",
    teamId: "team-1",
    upstream: [],
    onDelta: (text) => deltas.push(text),
    model: createOfflineModel({ tokenDelayMs: 0 }),
    // Agents' own tools reach the database; tests/unit/agent-tools.test.ts gives them fakes.
    toolSpecs: [],
    deltas,
    ...overrides,
  };
}

describe("built-in agents", () => {
  it("are research, analysis and synthesis, each described by capabilities", () => {
    expect(BUILT_IN_AGENT_KINDS).toEqual(["research", "analysis", "synthesis"]);
    for (const agent of listAgents()) {
      expect(agent.name.length).toBeGreaterThan(0);
      expect(agent.description.length).toBeGreaterThan(10);
      expect(agent.capabilities.length).toBeGreaterThanOrEqual(3);
    }
  });

  it("stream every delta to onDelta and return the full text, usage, model and cost", async () => {
    for (const kind of BUILT_IN_AGENT_KINDS) {
      const ctx = context();
      const result = await getAgent(kind).execute(subtask(kind), ctx);
      expect(ctx.deltas.length).toBeGreaterThan(10);
      expect(ctx.deltas.join("")).toBe(result.text);
      expect(result.text).toMatch(/^# /);
      expect(result.usage.inputTokens).toBeGreaterThan(100);
      expect(result.usage.outputTokens).toBe(Math.ceil(result.text.length / 4));
      expect(result.modelId).toBe("chorus-offline");
      expect(result.costUsd).toBe(0);
    }
  });

  it("returns no sources it did not use: links in the task are not sources until a tool reads them", async () => {
    const result = await getAgent("research").execute(subtask("research"), context());
    expect(result.sources).toEqual([]);
  });

  it("pass upstream outputs to the model", async () => {
    const research = await getAgent("research").execute(subtask("research", "research-eu"), context());
    const ctx = context({ upstream: [{ stepId: "research-eu", agentKind: "research", text: research.text }] });
    const analysis = await getAgent("analysis").execute(subtask("analysis"), ctx);
    expect(analysis.text).toContain("(research-eu)");
    expect(analysis.usage.inputTokens).toBeGreaterThan(research.usage.outputTokens);
  });

  it("stop when the task is cancelled: reject with AbortError and emit no more deltas", async () => {
    const controller = new AbortController();
    const deltas: string[] = [];
    const ctx = context({
      model: createOfflineModel({ tokenDelayMs: 10 }),
      abortSignal: controller.signal,
      onDelta: (text) => {
        deltas.push(text);
        if (deltas.length === 3) controller.abort();
      },
    });
    const started = performance.now();
    await expect(getAgent("synthesis").execute(subtask("synthesis"), ctx)).rejects.toMatchObject({ name: "AbortError" });
    expect(deltas.length).toBe(3);
    expect(performance.now() - started).toBeLessThan(1000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(deltas.length).toBe(3);
  });

  it("propagate model failures instead of returning partial text", async () => {
    const failing = createAgent({
      kind: "flaky",
      name: "Flaky",
      description: "Fails.",
      capabilities: ["failing"],
      instructions: "You are Flaky.",
    });
    const brokenModel = new MockLanguageModelV3({
      doStream: async () => {
        throw new Error("upstream 500");
      },
    });
    await expect(failing.execute(subtask("flaky"), context({ model: brokenModel }))).rejects.toThrow(/upstream 500/);
  });

  it("canHandle a subtask routed to their kind, or a capability they offer", () => {
    const research = getAgent("research");
    expect(research.canHandle(subtask("research"))).toBe(true);
    expect(research.canHandle(subtask("analysis"))).toBe(false);
    expect(research.canHandle({ capability: "source finding" })).toBe(true);
    expect(research.canHandle({ capability: "researching competitors" })).toBe(true);
    expect(research.canHandle({ capability: "formatting" })).toBe(false);
    expect(getAgent("synthesis").canHandle({ capability: "summarization" })).toBe(true);
    expect(getAgent("analysis").canHandle({ capability: "pattern recognition" })).toBe(true);
  });
});

describe("agent registry", () => {
  it("getAgent throws a clear UnknownAgentError for an unknown kind", () => {
    expect(() => getAgent("juggler")).toThrow(UnknownAgentError);
    expect(() => getAgent("juggler")).toThrow('Unknown agent "juggler" (known agents: research, analysis, synthesis)');
  });

  it("team-defined agents plug into the same contract", async () => {
    const legal = createCustomAgent({
      kind: "legal-review",
      name: "Legal reviewer",
      description: "Reviews plans for legal and regulatory risk.",
      instructions: "List the legal risks, the rule each one comes from, and a mitigation.",
      capabilities: ["legal review", "regulatory compliance"],
    });
    expect(getAgent("legal-review", [legal])).toBe(legal);
    expect(listAgents([legal]).map((agent) => agent.kind)).toEqual(["research", "analysis", "synthesis", "legal-review"]);
    expect(legal.canHandle({ capability: "compliance" })).toBe(true);
    const ctx = context();
    const result = await legal.execute(subtask("legal-review"), ctx);
    expect(result.text).toMatch(/^# Legal reviewer: /);
    expect(ctx.deltas.join("")).toBe(result.text);
  });

  it("rejects invalid team-defined agents, naming the field", () => {
    const valid = { kind: "legal-review", name: "Legal", description: "Legal checks.", instructions: "Check.", capabilities: ["legal"] };
    expect(() => createCustomAgent({ ...valid, kind: "research" })).toThrow(/reserved for a built-in agent/);
    expect(() => createCustomAgent({ ...valid, kind: "Legal Review" })).toThrow(/must be a slug/);
    expect(() => createCustomAgent({ ...valid, instructions: "  " })).toThrow(/instructions/);
    expect(() => createCustomAgent({ ...valid, capabilities: [] })).toThrow(/capabilities/);
  });
});
