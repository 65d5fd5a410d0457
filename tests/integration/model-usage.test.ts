import type { LanguageModelV3 } from "@ai-sdk/provider";
import { createOpenAI } from "@ai-sdk/openai";
import { streamText } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getDb } from "@/server/db/client";
import { createOfflineModel } from "@/server/llm/offline-model";
import { withCache } from "@/server/llm/response-cache";
import { settleUsageRecords, withUsageRecording } from "@/server/llm/usage-recording";
import { cancelTask } from "@/server/tasks/task-actions";
import { createTask, getTask } from "@/server/tasks/tasks";
import { updateModelCacheSettings } from "@/server/teams/model-cache-settings";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { useApiServer } from "../support/api-server";
import { type ChatRequest, useOpenAiWireServer } from "../support/openai-wire-server";

/**
 * Usage and cost per model call, through the real OpenAI provider and a local Chat Completions
 * server: every call is a ModelCall row — completed ones with the usage the server reported,
 * failed and cancelled ones with an estimate of what they spent — priced, or flagged when the
 * price is unknown. A task's usage is the sum of its rows (a cancelled task counts its agents'
 * spend, not just the planner's), the cache switches hold per team and per task, and the usage
 * API aggregates a team's calls.
 */
const mentions = (request: ChatRequest, text: string) => request.messages.some((message) => String(message.content).includes(text));
const wire = useOpenAiWireServer({
  respond: (request) => {
    if (mentions(request, "FAIL-MIDWAY")) return { errorAfterPieces: 2 };
    if (request.stream && mentions(request, "ENDLESS")) return { streamForever: true };
    return undefined;
  },
});
useEmbeddedExecutor(8);
const api = useApiServer();

afterEach(() => {
  delete process.env.CHORUS_MODEL_PRICES;
});

const wireModel = (): LanguageModelV3 =>
  createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: "not-needed" }).chat("wire-test-model");
const requestsFor = (text: string) => wire.requests.filter((request) => mentions(request, text)).length;

async function drain(model: LanguageModelV3, prompt: string, abortSignal?: AbortSignal) {
  const result = streamText({ model, prompt, maxRetries: 0, abortSignal, onError: () => {} });
  for await (const part of result.fullStream) if (part.type === "error") throw part.error;
}

async function callsOf(teamId: string) {
  await settleUsageRecords();
  return getDb().modelCall.findMany({ where: { teamId }, orderBy: { startedAt: "asc" } });
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("usage recording per model call", () => {
  it("records a completed call with the usage the provider reported, and flags a model no price table knows", async () => {
    const { team, callers } = await createTeamWithMembers();
    const model = withUsageRecording(wireModel(), { teamId: team.id, role: "agent", agentKind: "research", userId: callers.user.userId });
    await drain(model, "COMPLETED: lighthouses");
    const [call] = await callsOf(team.id);
    expect(call).toMatchObject({
      role: "agent",
      agentKind: "research",
      userId: callers.user.userId,
      provider: "openai.chat",
      modelId: "wire-test-model",
      inputTokens: 40,
      outputTokens: 12,
      outcome: "completed",
      cached: false,
      estimated: false,
      priceKnown: false,
      costUsd: null,
    });
  });

  it("prices the call from CHORUS_MODEL_PRICES when configured", async () => {
    process.env.CHORUS_MODEL_PRICES = JSON.stringify({ "wire-test-model": { input: 1, output: 2 } });
    const { team } = await createTeamWithMembers();
    await drain(withUsageRecording(wireModel(), { teamId: team.id, role: "planner" }), "PRICED: lighthouses");
    const [call] = await callsOf(team.id);
    // 40 input tokens × $1/M + 12 output tokens × $2/M
    expect(call).toMatchObject({ priceKnown: true, inputTokens: 40, outputTokens: 12 });
    expect(Number(call!.costUsd)).toBe(0.000064);
  });

  it("records a call that fails mid-stream as failed, with its spend estimated from the prompt and what streamed", async () => {
    const { team } = await createTeamWithMembers();
    await expect(drain(withUsageRecording(wireModel(), { teamId: team.id, role: "agent" }), "FAIL-MIDWAY: lighthouses")).rejects.toThrow();
    const [call] = await callsOf(team.id);
    expect(call).toMatchObject({ outcome: "failed", estimated: true });
    expect(call!.inputTokens).toBeGreaterThan(0);
    expect(call!.outputTokens).toBeGreaterThan(0);
  });

  it("records an aborted call as cancelled, with what it streamed before the abort", async () => {
    const { team } = await createTeamWithMembers();
    const controller = new AbortController();
    const model = withUsageRecording(wireModel(), { teamId: team.id, role: "aggregator" });
    const result = streamText({ model, prompt: "ENDLESS: lighthouses", maxRetries: 0, abortSignal: controller.signal, onError: () => {} });
    let deltas = 0;
    for await (const part of result.fullStream) if (part.type === "text-delta" && (deltas += 1) === 5) controller.abort();
    const [call] = await callsOf(team.id);
    expect(call).toMatchObject({ outcome: "cancelled", estimated: true, role: "aggregator" });
    expect(call!.outputTokens).toBeGreaterThan(0);
  });

  it("records a cache hit as cached, at no cost and no tokens bought", async () => {
    const { team } = await createTeamWithMembers();
    const model = () => withUsageRecording(withCache(wireModel(), { teamId: team.id, enabled: true }), { teamId: team.id, role: "agent" });
    await drain(model(), "HIT: lighthouses");
    await drain(model(), "HIT: lighthouses");
    const calls = await callsOf(team.id);
    expect(calls.map((call) => [call.cached, call.inputTokens, call.costUsd === null ? null : Number(call.costUsd)])).toEqual([
      [false, 40, null],
      [true, 0, 0],
    ]);
    expect(calls[1]!.priceKnown).toBe(true);
  });

  it("prices the offline model as known and free", async () => {
    const { team } = await createTeamWithMembers();
    await drain(withUsageRecording(createOfflineModel({ tokenDelayMs: 0 }), { teamId: team.id, role: "agent" }), "Research lighthouses.");
    const [call] = await callsOf(team.id);
    expect(call).toMatchObject({ modelId: "chorus-offline", priceKnown: true, outcome: "completed", estimated: false });
    expect(Number(call!.costUsd)).toBe(0);
    expect(call!.outputTokens).toBeGreaterThan(0);
  });
});

describe("a task's usage", () => {
  it("counts every call of a task cancelled mid-run: the agents' spend, not only the planner's", async () => {
    const { team, callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "ENDLESS-TASK: research the history of canals, then analyse it." });
    const agentStreams = () => wire.requests.filter((request) => request.stream && mentions(request, "ENDLESS-TASK")).length;
    await until(async () => agentStreams() >= 1, "an agent's stream");
    expect((await cancelTask(callers.user, task.id)).status).toBe("cancelled");
    await until(
      async () => (await getDb().modelCall.count({ where: { taskId: task.id, role: "agent", outcome: "cancelled" } })) >= 1,
      "the cancelled agent call's record",
    );
    const calls = await callsOf(team.id);
    const planner = calls.find((call) => call.role === "planner")!;
    expect(planner).toMatchObject({ inputTokens: 100, outputTokens: 50, outcome: "completed" });
    const view = await getTask(callers.user, task.id);
    const sum = calls.reduce((total, call) => total + call.inputTokens + call.outputTokens, 0);
    expect(view.usage.inputTokens + view.usage.outputTokens).toBe(sum);
    expect(view.usage.inputTokens).toBeGreaterThan(planner.inputTokens);
  });

  it("answers a repeated task from the cache, unless the task or the team switches it off", async () => {
    const { team, callers } = await createTeamWithMembers();
    const prompt = "REPEAT: compare lighthouse lamps over time.";
    const run = async (input: { cache?: boolean }) => {
      const task = await createTask(callers.user, { prompt, ...input });
      expect(await waitForTaskStatus(task.id, ["completed", "failed", "cancelled"])).toBe("completed");
      return task.id;
    };
    const first = await run({});
    const perTask = requestsFor("REPEAT");
    expect(perTask).toBeGreaterThan(1);

    const repeated = await run({});
    expect(requestsFor("REPEAT")).toBe(perTask);
    await settleUsageRecords();
    const repeatedCalls = await getDb().modelCall.findMany({ where: { taskId: repeated } });
    expect(repeatedCalls.length).toBeGreaterThan(0);
    expect(repeatedCalls.every((call) => call.cached && Number(call.costUsd) === 0)).toBe(true);
    expect((await getTask(callers.user, repeated)).result).toEqual((await getTask(callers.user, first)).result);
    // Each execution says so, in the task view and on its completion event (what the task page shows live).
    expect((await getTask(callers.user, first)).executions.map((execution) => execution.cached)).not.toContain(true);
    const executions = (await getTask(callers.user, repeated)).executions;
    expect(executions.length).toBeGreaterThan(0);
    expect(executions.every((execution) => execution.cached)).toBe(true);
    const completions = await getDb().runEvent.findMany({ where: { taskId: repeated, type: "agent.completed" } });
    expect(completions.map((event) => (event.payload as { cached?: boolean }).cached)).toEqual(executions.map(() => true));

    await run({ cache: false });
    expect(requestsFor("REPEAT")).toBe(2 * perTask);

    await updateModelCacheSettings(callers.admin, { enabled: false });
    await run({});
    expect(requestsFor("REPEAT")).toBe(3 * perTask);
    expect(await getDb().task.count({ where: { teamId: team.id, useModelCache: false } })).toBe(1);
  });
});

describe("the usage API", () => {
  it("aggregates the team's calls per model, with unknown prices and cache hits counted", async () => {
    const { team } = await createTeamWithMembers();
    const model = () => withUsageRecording(withCache(wireModel(), { teamId: team.id, enabled: true }), { teamId: team.id, role: "agent" });
    await drain(model(), "API: lighthouses");
    await drain(model(), "API: lighthouses");
    await drain(withUsageRecording(createOfflineModel({ tokenDelayMs: 0 }), { teamId: team.id, role: "planner" }), "Research canals.");
    await settleUsageRecords();
    const { key } = await createApiKey({ teamId: team.id, role: "viewer", name: "usage" });
    const response = await fetch(`${api.baseURL}/api/v1/usage?groupBy=model`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    const summary = (await response.json()) as {
      groupBy: string;
      totals: { calls: number; unknownPriceCalls: number; cacheHits: number };
      groups: Array<{ key: string; calls: number; inputTokens: number; unknownPriceCalls: number; cacheHits: number; costUsd: number }>;
    };
    expect(summary.groupBy).toBe("model");
    expect(summary.totals).toMatchObject({ calls: 3, unknownPriceCalls: 1, cacheHits: 1 });
    expect(summary.groups.find((group) => group.key === "wire-test-model")).toMatchObject({
      calls: 2,
      inputTokens: 40,
      unknownPriceCalls: 1,
      cacheHits: 1,
      costUsd: 0,
    });
    expect(summary.groups.find((group) => group.key === "chorus-offline")).toMatchObject({ calls: 1, unknownPriceCalls: 0 });
  });

  it("answers 400 naming the field for a bad grouping or range", async () => {
    const { team } = await createTeamWithMembers();
    const { key } = await createApiKey({ teamId: team.id, role: "viewer", name: "usage" });
    for (const [query, field] of [
      ["groupBy=week", "groupBy"],
      ["from=yesterday", "from"],
      ["from=2026-12-07&to=2026-12-01", "from"],
    ] as const) {
      const response = await fetch(`${api.baseURL}/api/v1/usage?${query}`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { error: { field?: string } }).error.field, query).toBe(field);
    }
  });

  it("lets members read the team's cache switch and admins change it", async () => {
    const { team } = await createTeamWithMembers();
    const admin = (await createApiKey({ teamId: team.id, role: "admin", name: "admin" })).key;
    const headers = { authorization: `Bearer ${admin}`, "content-type": "application/json" };
    const read = await fetch(`${api.baseURL}/api/v1/settings/model-cache`, { headers });
    expect(await read.json()).toEqual({ enabled: true, ttlSeconds: 3600 });
    const put = await fetch(`${api.baseURL}/api/v1/settings/model-cache`, {
      method: "PUT",
      headers,
      body: JSON.stringify({ enabled: false }),
    });
    expect(await put.json()).toEqual({ enabled: false, ttlSeconds: 3600 });
    expect((await getDb().team.findUniqueOrThrow({ where: { id: team.id } })).modelCacheEnabled).toBe(false);
    const bad = await fetch(`${api.baseURL}/api/v1/settings/model-cache`, {
      method: "PUT",
      headers,
      body: JSON.stringify({ enabled: "no" }),
    });
    expect(bad.status).toBe(400);
  });
});
