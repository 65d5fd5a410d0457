import { describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getDb } from "@/server/db/client";
import { insertModelCall, type ModelCallRecord } from "@/server/db/queries/model-calls";
import { readTeamOverview } from "@/server/teams/team-overview";
import { createTeamWithMembers } from "../support/fixtures";
import { useApiServer } from "../support/api-server";

/**
 * The Overview page's numbers (docs/dashboard.md) on the real database: tasks per UTC day by
 * status over the window (every day present), p50/p95 of completed attempts per agent kind,
 * tokens, cost and cache hits per day — only the team's own — and the REST route that serves them.
 */
const api = useApiServer();

const NOW = new Date("2026-12-07T15:30:00Z");
const at = (iso: string) => new Date(iso);

async function task(teamId: string, status: string, createdAt: Date) {
  return getDb().task.create({
    data: { teamId, prompt: `overview probe ${status}`, status: status as never, createdAt, startedAt: createdAt },
  });
}

async function execution(
  teamId: string,
  taskId: string,
  step: string,
  agentKind: string,
  durationMs: number,
  overrides: { status?: string; startedAt?: Date; reusedFromId?: string; attempt?: number } = {},
) {
  const startedAt = overrides.startedAt ?? at("2026-12-07T09:00:00Z");
  return getDb().agentExecution.create({
    data: {
      teamId,
      taskId,
      stepKey: step,
      agentKind,
      status: (overrides.status ?? "completed") as never,
      attempt: overrides.attempt ?? 1,
      input: { subtask: step, dependsOn: [] },
      startedAt,
      completedAt: new Date(startedAt.getTime() + durationMs),
      reusedFromId: overrides.reusedFromId ?? null,
    },
  });
}

function call(teamId: string, overrides: Partial<ModelCallRecord>): ModelCallRecord {
  return {
    teamId,
    role: "agent",
    agentKind: "research",
    provider: "offline",
    modelId: "offline-model",
    inputTokens: 100,
    outputTokens: 50,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: 0.25,
    priceKnown: true,
    cached: false,
    estimated: false,
    outcome: "completed",
    startedAt: at("2026-12-07T10:00:00Z"),
    durationMs: 100,
    ...overrides,
  };
}

async function seed() {
  const { team, callers } = await createTeamWithMembers();
  const other = await createTeamWithMembers();
  const teamId = team.id;
  const today = await task(teamId, "completed", at("2026-12-07T08:00:00Z"));
  await task(teamId, "completed", at("2026-12-07T00:00:00Z"));
  await task(teamId, "failed", at("2026-12-07T15:29:00Z"));
  await task(teamId, "cancelled", at("2026-12-05T12:00:00Z"));
  await task(teamId, "budget_exceeded", at("2026-12-05T13:00:00Z"));
  // Either side of a UTC midnight.
  await task(teamId, "completed", at("2026-12-01T23:59:59.999Z"));
  await task(teamId, "running", at("2026-12-02T00:00:00Z"));
  // The first instant of the 14-day window, and the last one before it.
  await task(teamId, "awaiting_approval", at("2026-11-24T00:00:00Z"));
  await task(teamId, "completed", at("2026-11-23T23:59:59.999Z"));

  // research: 1, 2, 3, 4 and 10 s → p50 3 s; p95 interpolates 80% of the way from 4 s to 10 s: 8.8 s.
  for (const [index, ms] of [1_000, 2_000, 3_000, 4_000, 10_000].entries())
    await execution(teamId, today.id, `research-${index}`, "research", ms);
  await execution(teamId, today.id, "analysis", "analysis", 500);
  // Not counted: a failed attempt, a step a rerun reused, and one that started before the window.
  await execution(teamId, today.id, "research-0", "research", 60_000, { status: "failed", attempt: 2 });
  const reused = await execution(teamId, today.id, "reused", "research", 90_000, { reusedFromId: "x" });
  expect(reused.reusedFromId).toBe("x");
  await execution(teamId, today.id, "early", "research", 70_000, { startedAt: at("2026-11-20T10:00:00Z") });

  for (const record of [
    call(teamId, {}),
    call(teamId, { cached: true, costUsd: 0, inputTokens: 0, outputTokens: 0 }),
    call(teamId, { cached: true, costUsd: 0, inputTokens: 0, outputTokens: 0, startedAt: at("2026-12-07T00:00:00Z") }),
    call(teamId, { costUsd: 0.5, inputTokens: 1_000, outputTokens: 200, startedAt: at("2026-12-05T10:00:00Z") }),
    call(teamId, { costUsd: 9, startedAt: at("2026-11-23T23:59:59.999Z") }),
  ])
    await insertModelCall(record);

  // Another team, busy today: none of it may show in this team's overview.
  const otherTask = await task(other.team.id, "completed", at("2026-12-07T09:00:00Z"));
  await task(other.team.id, "failed", at("2026-12-07T09:00:00Z"));
  await execution(other.team.id, otherTask.id, "research", "research", 99_000);
  await execution(other.team.id, otherTask.id, "synthesis", "synthesis", 1_000);
  await insertModelCall(call(other.team.id, { costUsd: 42, inputTokens: 5_000, cached: true }));
  return { team, callers, other };
}

describe("the team overview", () => {
  it("counts tasks per UTC day by status, every day of the window present, and only the team's", async () => {
    const { callers } = await seed();
    const overview = await readTeamOverview(callers.viewer, { days: 14 }, NOW);

    expect(overview.days).toBe(14);
    expect(overview.from).toBe("2026-11-24T00:00:00.000Z");
    expect(overview.tasksPerDay.map((day) => day.day)).toEqual(
      Array.from({ length: 14 }, (_, index) => new Date(Date.UTC(2026, 10, 24 + index)).toISOString().slice(0, 10)),
    );
    const day = (key: string) => overview.tasksPerDay.find((entry) => entry.day === key)!;
    expect(day("2026-12-07")).toMatchObject({ completed: 2, failed: 1, total: 3, cancelled: 0 });
    expect(day("2026-12-05")).toMatchObject({ cancelled: 1, budget_exceeded: 1, total: 2 });
    expect(day("2026-12-01")).toMatchObject({ completed: 1, total: 1 });
    expect(day("2026-12-02")).toMatchObject({ running: 1, total: 1 });
    expect(day("2026-11-24")).toMatchObject({ awaiting_approval: 1, total: 1 });
    expect(day("2026-12-03")).toMatchObject({ total: 0 });
    expect(overview.totals.tasks).toBe(8);
  });

  it("gives p50 and p95 of completed attempts per agent kind (continuous percentiles), leaving out failed, reused and earlier ones", async () => {
    const { callers } = await seed();
    const overview = await readTeamOverview(callers.viewer, { days: 14 }, NOW);
    expect(overview.durationByAgent).toEqual([
      { agent: "analysis", executions: 1, p50Ms: 500, p95Ms: 500 },
      { agent: "research", executions: 5, p50Ms: 3_000, p95Ms: 8_800 },
    ]);
  });

  it("sums tokens, cost and cache hits per day from the model calls", async () => {
    const { callers } = await seed();
    const overview = await readTeamOverview(callers.viewer, { days: 14 }, NOW);
    const usage = (key: string) => overview.usagePerDay.find((entry) => entry.day === key)!;
    expect(usage("2026-12-07")).toEqual({
      day: "2026-12-07",
      calls: 3,
      inputTokens: 100,
      outputTokens: 50,
      costUsd: 0.25,
      cacheHits: 2,
      cacheHitRate: 2 / 3,
    });
    expect(usage("2026-12-05")).toMatchObject({
      calls: 1,
      inputTokens: 1_000,
      outputTokens: 200,
      costUsd: 0.5,
      cacheHits: 0,
      cacheHitRate: 0,
    });
    expect(usage("2026-12-06")).toMatchObject({ calls: 0, cacheHitRate: null });
    expect(overview.usagePerDay).toHaveLength(14);
    expect(overview.totals).toEqual({ tasks: 8, calls: 4, tokens: 1_350, costUsd: 0.75, cacheHits: 2, cacheHitRate: 0.5 });
  });

  it("shows another team only its own numbers, and a new team zeros", async () => {
    const { other } = await seed();
    const theirs = await readTeamOverview(other.callers.viewer, { days: 14 }, NOW);
    expect(theirs.totals).toMatchObject({ tasks: 2, calls: 1, costUsd: 42, cacheHits: 1 });
    expect(theirs.durationByAgent.map((row) => row.agent)).toEqual(["research", "synthesis"]);

    const fresh = await createTeamWithMembers();
    const empty = await readTeamOverview(fresh.callers.admin, {}, NOW);
    expect(empty.days).toBe(14);
    expect(empty.totals).toEqual({ tasks: 0, calls: 0, tokens: 0, costUsd: 0, cacheHits: 0, cacheHitRate: null });
    expect(empty.durationByAgent).toEqual([]);
    expect(empty.tasksPerDay.every((entry) => entry.total === 0)).toBe(true);
  });

  it("is served at GET /api/v1/overview, which names a bad `days`", async () => {
    const { team } = await createTeamWithMembers();
    await task(team.id, "completed", new Date());
    await task(team.id, "failed", new Date());
    const { key } = await createApiKey({ teamId: team.id, role: "viewer", name: "overview reader" });
    const headers = { authorization: `Bearer ${key}` };

    const answer = await fetch(`${api.baseURL}/api/v1/overview?days=30`, { headers });
    expect(answer.status).toBe(200);
    const body = await answer.json();
    expect(body.days).toBe(30);
    expect(body.tasksPerDay).toHaveLength(30);
    expect(body.tasksPerDay.at(-1)).toMatchObject({ day: new Date().toISOString().slice(0, 10), completed: 1, failed: 1, total: 2 });

    for (const days of ["abc", "0", "91", "2.5"]) {
      const bad = await fetch(`${api.baseURL}/api/v1/overview?days=${days}`, { headers });
      expect(bad.status).toBe(400);
      const error = await bad.json();
      expect(JSON.stringify(error)).toContain("days");
    }
  });
});
