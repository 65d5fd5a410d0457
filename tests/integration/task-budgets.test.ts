import type { LanguageModelV3 } from "@ai-sdk/provider";
import { createOpenAI } from "@ai-sdk/openai";
import { streamText } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getDb } from "@/server/db/client";
import { readRunEvents } from "@/server/db/queries/run-events";
import { BudgetExceeded, withBudget, type TaskBudget } from "@/server/llm/budget";
import { priceForModel } from "@/server/llm/pricing";
import { forgetCachedResponsesInMemory, settleCacheWrites, withCache } from "@/server/llm/response-cache";
import { settleUsageRecords, withUsageRecording } from "@/server/llm/usage-recording";
import { createTask, getTask } from "@/server/tasks/tasks";
import { rerunTask } from "@/server/tasks/task-actions";
import { readBudgetSettings, updateBudgetSettings } from "@/server/teams/budget-settings";
import { createTeamWithMembers, THREE_AGENT_PROMPT, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { useApiServer } from "../support/api-server";
import { type ChatRequest, useOpenAiWireServer } from "../support/openai-wire-server";

/**
 * Hard budgets (#20 §8): every call reserves its worst case against the task's budget in
 * Postgres before it goes out, so parallel calls never spend past the limit together; a stream
 * that runs past what it was granted is cut off; a task that runs out ends budget_exceeded with
 * its partial output and a message saying what was spent; the 80% warning comes once; invalid
 * budgets are 400s naming the field. Calls cost money through the real OpenAI provider and a
 * local Chat Completions server priced with CHORUS_MODEL_PRICES.
 */
const mentions = (request: ChatRequest, text: string) => request.messages.some((message) => String(message.content).includes(text));
const wire = useOpenAiWireServer({
  respond: (request) => (request.stream && mentions(request, "ENDLESS") ? { streamForever: true } : undefined),
});
useEmbeddedExecutor(8);
const api = useApiServer();

afterEach(() => {
  delete process.env.CHORUS_MODEL_PRICES;
});

/** $1,000 per million tokens: $0.001 a token, so a call (40 + 12 reported tokens) costs $0.052. */
function priceWireModel() {
  process.env.CHORUS_MODEL_PRICES = JSON.stringify({ "wire-test-model": { input: 1000, output: 1000 } });
}

const wireModel = (): LanguageModelV3 =>
  createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: "not-needed" }).chat("wire-test-model");

/** Long enough that the 4-characters-a-token estimate (50 tokens) covers the 40 the server reports. */
const PROMPT = `Describe lighthouses. ${"Keep the answer short and precise. ".repeat(5)}`.slice(0, 200);

async function taskWithBudget(budget: { maxCostUsd?: number; maxTokens?: number }) {
  const { team } = await createTeamWithMembers();
  // A row only: these calls go through the wrappers directly, not through the executor.
  const task = await getDb().task.create({
    data: {
      teamId: team.id,
      prompt: "budget",
      status: "running",
      budgetUsd: budget.maxCostUsd ?? null,
      maxTokens: budget.maxTokens ?? null,
    },
  });
  return { teamId: team.id, taskId: task.id };
}

function budgeted(
  ids: { teamId: string; taskId: string },
  limits: Pick<TaskBudget, "maxCostUsd" | "maxTokens" | "monthlyBudgetUsd">,
  onWarning?: TaskBudget["onWarning"],
) {
  const budget = { ...ids, ...limits, price: priceForModel("wire-test-model"), onWarning };
  return withUsageRecording(withBudget(wireModel(), budget), { teamId: ids.teamId, taskId: ids.taskId, role: "agent" });
}

async function drain(model: LanguageModelV3, prompt: string, maxOutputTokens?: number) {
  const result = streamText({ model, prompt, maxRetries: 0, maxOutputTokens, onError: () => {} });
  let text = "";
  for await (const part of result.fullStream) {
    if (part.type === "error") throw part.error;
    if (part.type === "text-delta") text += part.text;
  }
  return text;
}

/** The model a task's planner gets here (the instance's default, pointed at the wire server). */
async function plannerModel() {
  const { getLanguageModel } = await import("@/server/llm");
  return getLanguageModel("planner");
}

async function spendOf(taskId: string) {
  await settleUsageRecords();
  const calls = await getDb().modelCall.findMany({ where: { taskId } });
  const task = await getDb().task.findUniqueOrThrow({ where: { id: taskId } });
  return {
    calls,
    costUsd: calls.reduce((sum, call) => sum + Number(call.costUsd ?? 0), 0),
    task,
  };
}

describe("reservations against a task's budget", () => {
  it("never lets parallel calls near the limit spend past it together", async () => {
    priceWireModel();
    const maxCostUsd = 0.3;
    const ids = await taskWithBudget({ maxCostUsd });
    const model = budgeted(ids, { maxCostUsd, maxTokens: null });
    // 12 calls at once, each reserving ~$0.07 (50 input + 20 output tokens) of $0.30: some must be refused.
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, index) => drain(model, `${index} ${PROMPT}`, 20)));
    const refused = outcomes.filter((outcome) => outcome.status === "rejected");
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled").length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const outcome of refused) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(BudgetExceeded);
    const spent = await spendOf(ids.taskId);
    expect(spent.costUsd).toBeGreaterThan(0);
    expect(spent.costUsd).toBeLessThanOrEqual(maxCostUsd);
    // Every reservation was released; what is counted as spent is what the calls cost.
    expect(Number(spent.task.budgetReservedUsd)).toBe(0);
    expect(spent.task.budgetReservedTokens).toBe(0);
    expect(Number(spent.task.budgetSpentUsd)).toBeCloseTo(spent.costUsd, 6);
  });

  it("refuses the next call with a message saying what the budget is, what is used and what the call needs", async () => {
    priceWireModel();
    const ids = await taskWithBudget({ maxCostUsd: 0.1 });
    const model = budgeted(ids, { maxCostUsd: 0.1, maxTokens: null });
    await drain(model, PROMPT, 20);
    const refused = await drain(model, PROMPT, 20).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BudgetExceeded);
    expect((refused as Error).message).toMatch(/^The task's budget of \$0\.10 is spent: \$0\.05 used, the next call needs up to \$0\.07$/);
    // The refused call never reached the provider, so it spent nothing.
    expect((await spendOf(ids.taskId)).calls).toHaveLength(1);
  });

  it("cuts a stream off once its output passes what the budget left, and counts what it streamed", async () => {
    priceWireModel();
    const ids = await taskWithBudget({ maxTokens: 100 });
    const model = budgeted(ids, { maxCostUsd: null, maxTokens: 100 });
    const cut = await drain(model, `ENDLESS ${PROMPT}`).catch((error: unknown) => error);
    expect(cut).toBeInstanceOf(BudgetExceeded);
    expect((cut as Error).message).toContain("cut off at the limit");
    const spent = await spendOf(ids.taskId);
    expect(spent.task.budgetSpentTokens).toBeGreaterThan(50);
    expect(spent.task.budgetSpentTokens).toBeLessThanOrEqual(100);
    expect(spent.task.budgetReservedTokens).toBe(0);
  });

  it("warns once, when settled spend first reaches 80%", async () => {
    priceWireModel();
    const ids = await taskWithBudget({ maxCostUsd: 0.3 });
    let warnings = 0;
    const model = budgeted(ids, { maxCostUsd: 0.3, maxTokens: null }, () => (warnings += 1));
    // $0.052 a call: the fifth takes it to $0.26 (over $0.24); later calls are refused.
    for (let call = 0; call < 8; call += 1) await drain(model, PROMPT, 20).catch(() => undefined);
    expect(warnings).toBe(1);
    expect((await spendOf(ids.taskId)).task.budgetWarnedAt).not.toBeNull();
  });

  it("refuses a model nobody can price when the task has only a cost budget", async () => {
    const ids = await taskWithBudget({ maxCostUsd: 1 });
    const model = withBudget(wireModel(), { ...ids, maxCostUsd: 1, maxTokens: null, price: undefined });
    const refused = await drain(model, PROMPT).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BudgetExceeded);
    expect((refused as Error).message).toMatch(/price of model wire-test-model is unknown/);
  });
});

describe("a task that runs out of budget", () => {
  it("ends budget_exceeded with its partial output kept and the budget's message", async () => {
    const { callers } = await createTeamWithMembers();
    // A reference run tells what the planner spends and what the research agent's prompt is
    // estimated at; the budgeted run gets that and 60 tokens more, while its agents' answers never end.
    const reference = await createTask(callers.user, { prompt: `${THREE_AGENT_PROMPT} BUDGET-REFERENCE`, cache: false });
    await waitForTaskStatus(reference.id, ["completed"]);
    const referenceRequests = wire.requests.filter((request) => mentions(request, "BUDGET-REFERENCE"));
    const estimate = (request: ChatRequest) =>
      Math.ceil(request.messages.reduce((sum, message) => sum + String(message.content).length, 0) / 4);
    const plannerEstimate = estimate(referenceRequests.find((request) => !request.stream)!);
    const researchEstimate = estimate(referenceRequests.find((request) => request.stream)!);
    const plannerSpend = 150; // the wire server's plan usage: 100 + 50
    const maxTokens = plannerSpend + researchEstimate + 60;
    expect(maxTokens).toBeGreaterThan(plannerEstimate + 16);

    const task = await createTask(callers.user, { prompt: `${THREE_AGENT_PROMPT} BUDGET-ENDLESS-`, maxTokens, cache: false });
    await waitForTaskStatus(task.id, ["budget_exceeded", "completed", "failed"]);
    const view = await getTask(callers.user, task.id);
    expect(view.status).toBe("budget_exceeded");
    expect(view.error).toMatch(new RegExp(`^The task's budget of ${maxTokens.toLocaleString("en-US")} tokens is spent`));
    const stopped = view.executions.find((execution) => execution.agent === "research")!;
    expect(stopped.status).toBe("cancelled");
    expect(stopped.output).toMatchObject({ partial: true });
    expect(String((stopped.output as { text: string }).text)).toMatch(/^(tick )+/);
    // Nothing ran after the budget was spent, and the browser heard why.
    expect(view.executions.map((execution) => execution.agent)).toEqual(["research"]);
    const types = (await readRunEvents(task.id)).map((event) => event.type);
    expect(types).toContain("task.budget_exceeded");
    expect(types.filter((type) => type === "task.budget_warning")).toHaveLength(1);
    expect((await spendOf(task.id)).task.budgetSpentTokens).toBeLessThanOrEqual(maxTokens);
  });

  it("gives a rerun the original's budget, counted afresh", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT, maxTokens: 1_000_000, maxCostUsd: 5, cache: false });
    expect(await waitForTaskStatus(task.id, ["completed", "failed", "budget_exceeded"])).toBe("completed");
    const stepId = ((await getTask(callers.user, task.id)).plan as { steps: Array<{ id: string }> }).steps.at(-1)!.id;
    const rerun = await rerunTask(callers.user, task.id, { fromStep: stepId });
    await waitForTaskStatus(rerun.id, ["completed", "failed", "budget_exceeded"]);
    const stored = await getDb().task.findUniqueOrThrow({ where: { id: rerun.id } });
    expect({ maxTokens: stored.maxTokens, budgetUsd: Number(stored.budgetUsd) }).toEqual({ maxTokens: 1_000_000, budgetUsd: 5 });
    expect(stored.budgetSpentTokens).toBeGreaterThan(0);
    expect(stored.budgetSpentTokens).toBeLessThan((await getDb().task.findUniqueOrThrow({ where: { id: task.id } })).budgetSpentTokens);
  });

  it("runs a task without a budget exactly as before", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT });
    expect(await waitForTaskStatus(task.id, ["completed", "failed", "budget_exceeded"])).toBe("completed");
    expect((await spendOf(task.id)).task.budgetSpentTokens).toBe(0);
  });
});

describe("budgets behind the response cache", () => {
  it("reserve while the shared store is read; a hit gives the reservation back and spends nothing, even with the budget spent", async () => {
    priceWireModel();
    const ids = await taskWithBudget({ maxTokens: 400 });
    const cached = () =>
      withUsageRecording(
        withCache(withBudget(wireModel(), { ...ids, maxCostUsd: null, maxTokens: 400, price: priceForModel("wire-test-model") }), {
          teamId: ids.teamId,
          enabled: true,
        }),
        { ...ids, role: "agent" },
      );
    const first = await drain(cached(), `CACHED-BUDGET ${PROMPT}`, 20);
    await settleCacheWrites();
    await settleUsageRecords();
    const afterMiss = (await spendOf(ids.taskId)).task;
    expect(afterMiss.budgetSpentTokens).toBeGreaterThan(0);

    forgetCachedResponsesInMemory(); // the next call reads the shared store, reserving meanwhile
    expect(await drain(cached(), `CACHED-BUDGET ${PROMPT}`, 20)).toBe(first);
    await settleUsageRecords();
    const afterHit = (await spendOf(ids.taskId)).task;
    expect(afterHit.budgetSpentTokens).toBe(afterMiss.budgetSpentTokens);
    expect(afterHit.budgetReservedTokens).toBe(0);

    // Spend the rest: a new call is refused, and a hit is still answered (it costs nothing).
    await getDb().task.update({ where: { id: ids.taskId }, data: { budgetSpentTokens: 400 } });
    await expect(drain(cached(), `NEW ${PROMPT}`, 20)).rejects.toBeInstanceOf(BudgetExceeded);
    forgetCachedResponsesInMemory();
    expect(await drain(cached(), `CACHED-BUDGET ${PROMPT}`, 20)).toBe(first);
    await settleUsageRecords();
    expect((await spendOf(ids.taskId)).task).toMatchObject({ budgetSpentTokens: 400, budgetReservedTokens: 0 });
  });
});

describe("a team's monthly budget", () => {
  it("counts every task's calls, and blocks the next task's calls once it is spent", async () => {
    priceWireModel();
    const { team, callers } = await createTeamWithMembers();
    const settings = await updateBudgetSettings(callers.admin, { monthlyBudgetUsd: 0.18 });
    expect(settings).toMatchObject({ monthlyBudgetUsd: 0.18, spentThisMonthUsd: 0 });
    const task = async () => (await getDb().task.create({ data: { teamId: team.id, prompt: "month", status: "running" } })).id;
    const warnings: string[] = [];
    const first = budgeted(
      { teamId: team.id, taskId: await task() },
      { maxCostUsd: null, maxTokens: null, monthlyBudgetUsd: 0.18 },
      (warning) => warnings.push(warning.scope),
    );
    // Parallel calls of one task: the month is never overspent ($0.052 a call; three reach 80%, $0.144).
    await Promise.allSettled(Array.from({ length: 6 }, (_, index) => drain(first, `${index} ${PROMPT}`, 20)));
    await settleUsageRecords();
    const next = budgeted(
      { teamId: team.id, taskId: await task() },
      { maxCostUsd: null, maxTokens: null, monthlyBudgetUsd: 0.18 },
      (warning) => warnings.push(warning.scope),
    );
    for (let call = 0; call < 4; call += 1) await drain(next, PROMPT, 20).catch(() => undefined);
    const refused = await drain(next, PROMPT, 20).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BudgetExceeded);
    expect((refused as Error).message).toMatch(
      /^The team's monthly budget of \$0\.18 is spent: \$0\.\d\d used this month, the next call needs up to \$0\.07$/,
    );
    await settleUsageRecords();
    const calls = await getDb().modelCall.findMany({ where: { teamId: team.id } });
    const spent = calls.reduce((sum, call) => sum + Number(call.costUsd ?? 0), 0);
    expect(spent).toBeGreaterThan(0.1);
    expect(spent).toBeLessThanOrEqual(0.18);
    expect(warnings).toEqual(["team"]);
    expect((await readBudgetSettings(callers.viewer)).spentThisMonthUsd).toBeCloseTo(spent, 6);
  });

  it("is never overspent by parallel calls of several tasks, and every reservation is released after", async () => {
    priceWireModel();
    const { team, callers } = await createTeamWithMembers();
    await updateBudgetSettings(callers.admin, { monthlyBudgetUsd: 0.3 });
    const tasks = await Promise.all(
      [1, 2, 3].map(async () => (await getDb().task.create({ data: { teamId: team.id, prompt: "month", status: "running" } })).id),
    );
    // 18 calls at once, reserving ≈ $0.07 each against $0.30 (and settling, team row first, while others reserve): no deadlock, no overshoot.
    const outcomes = await Promise.allSettled(
      tasks.flatMap((taskId) =>
        Array.from({ length: 6 }, (_, index) =>
          drain(
            budgeted({ teamId: team.id, taskId }, { maxCostUsd: null, maxTokens: null, monthlyBudgetUsd: 0.3 }),
            `${index} ${PROMPT}`,
            20,
          ),
        ),
      ),
    );
    expect(outcomes.some((outcome) => outcome.status === "fulfilled")).toBe(true);
    for (const outcome of outcomes) if (outcome.status === "rejected") expect(outcome.reason).toBeInstanceOf(BudgetExceeded);
    await settleUsageRecords();
    const calls = await getDb().modelCall.findMany({ where: { teamId: team.id } });
    const spent = calls.reduce((sum, call) => sum + Number(call.costUsd ?? 0), 0);
    expect(spent).toBeLessThanOrEqual(0.3);
    const row = await getDb().team.findUniqueOrThrow({ where: { id: team.id } });
    expect(Number(row.monthReservedUsd)).toBe(0);
    expect(Number(row.monthSpentUsd)).toBeCloseTo(spent, 6);
    for (const taskId of tasks) expect((await getDb().task.findUniqueOrThrow({ where: { id: taskId } })).budgetReservedTokens).toBe(0);
  });

  it("ends a task budget_exceeded when the team's month is spent before it starts", async () => {
    const { callers } = await createTeamWithMembers();
    await updateBudgetSettings(callers.admin, { monthlyBudgetUsd: 0.000001 });
    process.env.CHORUS_MODEL_PRICES = JSON.stringify({
      [(await import("@/server/llm")).modelIdOf(await plannerModel())]: { input: 1, output: 1 },
    });
    const task = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT, cache: false });
    await waitForTaskStatus(task.id, ["budget_exceeded", "completed", "failed"]);
    const view = await getTask(callers.user, task.id);
    expect(view.status).toBe("budget_exceeded");
    expect(view.error).toMatch(/^The team's monthly budget of \$0\.0000 is spent/);
    expect(view.executions).toEqual([]);
  });

  it("is read by every member, changed only by admins, and a bad value is a 400 naming the field", async () => {
    const { team, callers } = await createTeamWithMembers();
    const { key: userKey } = await createApiKey({ teamId: team.id, role: "user", name: "budget-user" });
    const { key: adminKey } = await createApiKey({ teamId: team.id, role: "admin", name: "budget-admin" });
    const put = (key: string, body: unknown) =>
      fetch(`${api.baseURL}/api/v1/settings/budget`, {
        method: "PUT",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await put(userKey, { monthlyBudgetUsd: 5 })).status).toBe(403);
    for (const bad of [-1, 0, "five", 1e12]) {
      const response = await put(adminKey, { monthlyBudgetUsd: bad });
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toContain("monthlyBudgetUsd");
    }
    expect((await put(adminKey, { monthlyBudgetUsd: 25 })).status).toBe(200);
    const read = await fetch(`${api.baseURL}/api/v1/settings/budget`, { headers: { authorization: `Bearer ${userKey}` } });
    expect(await read.json()).toMatchObject({ monthlyBudgetUsd: 25, spentThisMonthUsd: 0 });
    expect((await put(adminKey, { monthlyBudgetUsd: null })).status).toBe(200);
    expect((await readBudgetSettings(callers.viewer)).monthlyBudgetUsd).toBeNull();
  });
});

describe("budget input", () => {
  it.each([
    [{ maxCostUsd: -1 }, "maxCostUsd"],
    [{ maxCostUsd: 0 }, "maxCostUsd"],
    [{ maxCostUsd: "lots" }, "maxCostUsd"],
    [{ maxCostUsd: 1e12 }, "maxCostUsd"],
    [{ maxTokens: -5 }, "maxTokens"],
    [{ maxTokens: 1.5 }, "maxTokens"],
    [{ maxTokens: "many" }, "maxTokens"],
    [{ maxTokens: 1e15 }, "maxTokens"],
  ])("answers %j with a 400 naming the field", async (budget, field) => {
    const { team } = await createTeamWithMembers();
    const { key } = await createApiKey({ teamId: team.id, role: "user", name: "budgets" });
    const response = await fetch(`${api.baseURL}/api/v1/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "budgeted", ...budget }),
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain(field);
    expect(await getDb().task.count({ where: { teamId: team.id } })).toBe(0);
  });

  it("stores a valid budget on the task", async () => {
    const { team } = await createTeamWithMembers();
    const { key } = await createApiKey({ teamId: team.id, role: "user", name: "budgets" });
    const response = await fetch(`${api.baseURL}/api/v1/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "budgeted", maxCostUsd: 0.5, maxTokens: 20000 }),
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    const stored = await getDb().task.findUniqueOrThrow({ where: { id } });
    expect(Number(stored.budgetUsd)).toBe(0.5);
    expect(stored.maxTokens).toBe(20000);
  });
});
