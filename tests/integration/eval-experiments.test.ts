import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getDb, getPool } from "@/server/db/client";
import { comparisonView, experimentSummaryView, experimentView, type ExperimentView } from "@/server/evals/eval-schemas";
import { aggregateResults } from "@/server/evals/experiment-aggregate";
import { cancelExperiment, deleteExperiment, getExperiment, startExperiment } from "@/server/evals/experiments";
import { compareExperiments } from "@/server/evals/compare-experiments";
import { runExperimentRound } from "@/server/evals/experiment-rounds";
import { insertExperimentWithResults, markExperimentRunning, reserveAndMarkRunning } from "@/server/db/queries/eval-experiments";
import { newRowId } from "@/server/db/row-id";
import { createTeamWithMembers } from "../support/fixtures";
import { useApiServer } from "../support/api-server";
import { durableRowsOf, seedDataset, tasksPerPrompt, waitForExperiment } from "../support/eval-fixtures";

/**
 * Experiments end to end on the offline model (docs/evals.md#experiments): every case runs as a
 * real task and is scored, scores are the same run to run, the aggregate is the results', a
 * restart of the executor in the middle finishes the experiment without creating any case's task
 * twice, cancel stops it, compare orders cases, and the run's durable writes stay at or under one
 * per case.
 */
process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS ??= "0";
let stopExecutor: (() => Promise<void>) | undefined;
async function startExecutor() {
  const { startExecutor: start } = await import("@/server/runtime/executor");
  stopExecutor = await start({ pool: getPool(), concurrency: 16 });
}
beforeAll(startExecutor);
afterAll(async () => {
  await stopExecutor?.();
});
const api = useApiServer();

const CASES = [
  {
    key: "gardens",
    prompt: "Research how community gardens reduce food costs.",
    expected: { contains: ["garden"], matches: ["\\bfood\\b"] },
  },
  {
    key: "lighthouses",
    prompt: "Summarise the history of lighthouses.",
    expected: { contains: ["lighthouse"], citations: ["https://example.org/never-cited"] },
  },
  { key: "bees", prompt: "Analyse why bees matter to farming.", expected: { rubric: "Explains pollination and names at least one crop." } },
  {
    key: "tides",
    prompt: "Explain what causes ocean tides.",
    expected: { reference: "Tides are caused by the gravitational pull of the moon and the sun on the oceans." },
  },
];

async function rest(method: string, path: string, key: string, body?: unknown) {
  const response = await fetch(`${api.baseURL}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

const byKey = (experiment: ExperimentView) => Object.fromEntries(experiment.results.map((result) => [result.caseKey, result]));

describe("an experiment over a small dataset", () => {
  it("runs every case as a task, scores it, keeps the aggregate, and scores the same on a second run", async () => {
    const { team, callers } = await createTeamWithMembers();
    const { datasetId } = await seedDataset(team.id, "small", CASES);
    const key = (await createApiKey({ teamId: team.id, role: "user", name: "runner" })).key;

    const started = await rest("POST", "/api/v1/evals/experiments", key, { datasetId, name: "first", config: { concurrency: 2 } });
    expect(started.status).toBe(201);
    const first = experimentView.parse(started.json);
    expect(started.headers.get("location")).toBe(`/api/v1/evals/experiments/${first.id}`);
    expect(first).toMatchObject({ datasetId, datasetName: "small", datasetVersion: 1, caseCount: 4, name: "first" });
    expect(first.config).toMatchObject({ concurrency: 2, cache: false, tools: true });
    expect(first.results.map((result) => result.caseKey)).toEqual(CASES.map((item) => item.key));

    const done = await waitForExperiment(callers.user, first.id);
    expect(done.status).toBe("completed");
    for (const result of done.results) {
      expect(["passed", "failed"], `${result.caseKey}: ${result.error}`).toContain(result.status);
      expect(result.scores.length, result.caseKey).toBeGreaterThan(0);
      expect(result.score).not.toBeNull();
      expect(result.output).toBeTruthy();
      expect(result.durationMs).not.toBeNull();
      const task = await getDb().task.findUniqueOrThrow({ where: { id: result.taskId! } });
      // The task ran as the key that started the experiment, under its configuration, without the cache.
      expect(task).toMatchObject({ teamId: team.id, apiKeyId: expect.any(String), status: "completed", useModelCache: false });
      expect(task.runConfig).toMatchObject({ tools: true });
    }
    // The contains scorer found "garden"; the citations scorer never finds a source nobody cites.
    expect(byKey(done).gardens!.scores.find((score) => score.scorer === "contains")?.score).toBe(1);
    expect(byKey(done).lighthouses!.scores.find((score) => score.scorer === "citations")?.score).toBe(0);
    // The aggregate is the results', live and as stored when it ended.
    expect(done.aggregate).toEqual(aggregateResults(done.results));
    expect(done.aggregate).toMatchObject({ total: 4, pending: 0, running: 0, skipped: 0, errored: 0 });
    const stored = await getDb().evalExperiment.findUniqueOrThrow({ where: { id: first.id } });
    expect(stored.summary).toEqual(JSON.parse(JSON.stringify(done.aggregate)));
    expect(stored.finishedAt).not.toBeNull();

    const again = await startExperiment(callers.user, { datasetId, name: "second", baselineId: first.id });
    const second = await waitForExperiment(callers.user, again.id);
    expect(second.status).toBe("completed");
    for (const item of CASES) {
      expect(byKey(second)[item.key]!.score, item.key).toBe(byKey(done)[item.key]!.score);
      expect(byKey(second)[item.key]!.passed, item.key).toBe(byKey(done)[item.key]!.passed);
    }
    // One task per case per experiment, no more.
    const perPrompt = await tasksPerPrompt(team.id);
    for (const item of CASES) expect(perPrompt[item.prompt], item.key).toBe(2);

    const listed = await rest("GET", `/api/v1/evals/experiments?datasetId=${datasetId}`, key);
    expect(listed.status).toBe(200);
    const summaries = experimentSummaryView.array().parse(listed.json);
    expect(summaries.map((summary) => summary.id)).toEqual([second.id, first.id]);
    expect(summaries[1]).toMatchObject({ passRate: done.aggregate.passRate, baselineId: null });
    expect(summaries[0]!.meanScore).toBeCloseTo(done.aggregate.meanScore!, 10);

    const compared = await rest("GET", `/api/v1/evals/compare?a=${first.id}&b=${second.id}`, key);
    expect(compared.status).toBe(200);
    const comparison = comparisonView.parse(compared.json);
    expect(comparison.cases.map((item) => item.change)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"]);
    expect(comparison.deltas.meanScore).toBe(0);
    expect(comparison.deltas.passRate).toBe(0);
    expect(comparison.cases[0]!.a?.output).toBe(comparison.cases[0]!.b?.output);
  });
});

describe("a restart in the middle of an experiment", () => {
  it("finishes it, and no case's task is created twice", async () => {
    const previousDelay = process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS;
    process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = "3";
    try {
      const { team, callers } = await createTeamWithMembers();
      const cases = Array.from({ length: 6 }, (_, index) => ({
        key: `case-${index}`,
        prompt: `Summarise fact number ${index} about rivers.`,
      }));
      const { datasetId } = await seedDataset(team.id, "restart", cases);
      const started = await startExperiment(callers.user, { datasetId, config: { concurrency: 2 } });
      // Stop the executor once a case is scored and others are still to do.
      await waitForExperiment(
        callers.user,
        started.id,
        (experiment) => experiment.aggregate.passed + experiment.aggregate.failed >= 1 && experiment.aggregate.pending > 0,
      );
      await stopExecutor!();
      const midway = await getExperiment(callers.user, started.id);
      const scoredBefore = midway.results.filter((result) => ["passed", "failed"].includes(result.status));
      expect(midway.status).toBe("running");
      await startExecutor();

      const done = await waitForExperiment(callers.user, started.id);
      expect(done.status).toBe("completed");
      expect(
        done.results
          .map((result) => `${result.caseKey}:${result.status}:${result.error ?? ""}`)
          .filter((line) => !/:(passed|failed):/.test(line)),
      ).toEqual([]);
      // Cases scored before the restart kept their task and result.
      for (const before of scoredBefore) {
        expect(byKey(done)[before.caseKey]).toMatchObject({ taskId: before.taskId, score: before.score, finishedAt: before.finishedAt });
      }
      // One task ran per case; a case whose task met the stopping executor started again with a new one.
      const perPrompt = await tasksPerPrompt(team.id, { ran: true });
      for (const item of cases) expect(perPrompt[item.prompt], item.key).toBe(1);
    } finally {
      process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = previousDelay;
    }
  });
});

describe("a crash between marking a case running and creating its task", () => {
  it("creates the task with the id written on the case, once, when the round runs again", async () => {
    const { team, callers } = await createTeamWithMembers();
    const { datasetId, versionId } = await seedDataset(team.id, "crash-window", [{ key: "one", prompt: "Name the tallest lighthouse." }]);
    const cases = await getDb().evalCase.findMany({ where: { versionId }, select: { id: true, key: true } });
    const experimentId = await insertExperimentWithResults({
      teamId: team.id,
      name: "crash-window",
      datasetId,
      datasetVersionId: versionId,
      config: { tools: true, cache: false, passScore: 0.7, concurrency: 4 },
      budgetUsd: null,
      baselineId: null,
      createdById: callers.user.userId!,
      apiKeyId: null,
      cases,
    });
    // What a round wrote before the process died: the case running with its task id, and no task yet.
    await markExperimentRunning(team.id, experimentId);
    const result = await getDb().evalResult.findFirstOrThrow({ where: { experimentId } });
    const taskId = newRowId();
    expect(await reserveAndMarkRunning(team.id, experimentId, [{ resultId: result.id, taskId, allowanceUsd: null }])).toEqual([result.id]);
    expect(await getDb().task.count({ where: { id: taskId } })).toBe(0);

    expect(await runExperimentRound({ experimentId, teamId: team.id })).toEqual({ state: "ended", status: "completed" });
    const done = await getExperiment(callers.user, experimentId);
    expect(done.results).toMatchObject([{ taskId, status: expect.stringMatching(/^(passed|failed)$/) }]);
    expect(await getDb().task.count({ where: { teamId: team.id } })).toBe(1);
  });
});

describe("cancelling and deleting", () => {
  it("cancels a running experiment: pending cases skipped, the running case's task cancelled; only admins delete, and only once it ended", async () => {
    const previousDelay = process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS;
    process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = "20";
    try {
      const { team, callers } = await createTeamWithMembers();
      const { datasetId } = await seedDataset(
        team.id,
        "cancel",
        Array.from({ length: 4 }, (_, index) => ({
          key: `c${index}`,
          prompt: `Research the history of lighthouse number ${index} in detail.`,
        })),
      );
      const started = await startExperiment(callers.user, { datasetId, config: { concurrency: 1 } });
      const running = await waitForExperiment(callers.user, started.id, (experiment) => experiment.aggregate.running === 1);
      const runningTaskId = running.results.find((result) => result.status === "running")!.taskId!;

      await expect(deleteExperiment(callers.admin, started.id)).rejects.toMatchObject({ code: "conflict", field: "id" });
      const cancelled = await cancelExperiment(callers.user, started.id);
      expect(cancelled.status).toBe("cancelled");
      expect(cancelled.finishedAt).not.toBeNull();
      expect(cancelled.results.every((result) => result.status === "skipped")).toBe(true);
      expect(cancelled.results.filter((result) => result.error === "experiment cancelled")).toHaveLength(4);
      expect((await getDb().task.findUniqueOrThrow({ where: { id: runningTaskId } })).status).toBe("cancelled");
      await expect(cancelExperiment(callers.user, started.id)).rejects.toMatchObject({ code: "conflict" });

      // No case starts afterwards (the run stopped), and the experiment stays cancelled.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const after = await getExperiment(callers.viewer, started.id);
      expect(after.status).toBe("cancelled");
      expect(after.results.filter((result) => result.taskId !== null)).toHaveLength(1);

      await expect(deleteExperiment(callers.user, started.id)).rejects.toMatchObject({ code: "forbidden" });
      expect(await deleteExperiment(callers.admin, started.id)).toEqual({ deleted: started.id });
      await expect(getExperiment(callers.admin, started.id)).rejects.toMatchObject({ code: "not_found" });
      const actions = await getDb().auditEvent.findMany({
        where: { teamId: team.id, action: { startsWith: "eval." } },
        orderBy: { createdAt: "asc" },
      });
      expect(actions.map((event) => event.action)).toEqual([
        "eval.experiment_started",
        "eval.experiment_cancelled",
        "eval.experiment_deleted",
      ]);
    } finally {
      process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = previousDelay;
    }
  });
});

describe("what start refuses", () => {
  it("answers 403 to a viewer, 404 for another team's dataset or a missing version, 400 for an empty version or an unknown agent version", async () => {
    const { team, callers } = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    const { datasetId } = await seedDataset(team.id, "refusals", [{ key: "one", prompt: "One case." }]);
    await expect(startExperiment(callers.viewer, { datasetId })).rejects.toMatchObject({ code: "forbidden" });
    await expect(startExperiment(other.callers.admin, { datasetId })).rejects.toMatchObject({ code: "not_found", field: "datasetId" });
    await expect(startExperiment(callers.user, { datasetId, datasetVersion: 7 })).rejects.toMatchObject({
      code: "not_found",
      field: "datasetVersion",
    });
    const empty = await seedDataset(team.id, "empty", []);
    await expect(startExperiment(callers.user, { datasetId: empty.datasetId })).rejects.toMatchObject({
      code: "bad_request",
      field: "datasetId",
    });
    await expect(startExperiment(callers.user, { datasetId, config: { agentVersions: { "no-such-agent": 3 } } })).rejects.toMatchObject({
      code: "bad_request",
      field: "config.agentVersions.no-such-agent",
    });
    await expect(startExperiment(callers.user, { datasetId, config: { concurrency: 99 } })).rejects.toMatchObject({ code: "bad_request" });
    await expect(startExperiment(callers.user, { datasetId, baselineId: "nope" })).rejects.toMatchObject({
      code: "not_found",
      field: "baselineId",
    });
    expect(await getDb().evalExperiment.count({ where: { teamId: team.id } })).toBe(0);
  });

  it("keeps experiments and comparisons inside their team", async () => {
    const { team, callers } = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    const { datasetId } = await seedDataset(team.id, "isolated", [{ key: "one", prompt: "Name one isolated island." }]);
    const started = await startExperiment(callers.user, { datasetId });
    await waitForExperiment(callers.user, started.id);
    await expect(getExperiment(other.callers.admin, started.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(compareExperiments(other.callers.admin, { a: started.id, b: started.id })).rejects.toMatchObject({
      code: "not_found",
      field: "a",
    });
    await expect(cancelExperiment(other.callers.admin, started.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(deleteExperiment(other.callers.admin, started.id)).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("an experiment whose starter lost access", () => {
  it("fails at its next round with an error saying so, its cases skipped and no task started", async () => {
    const { team, callers } = await createTeamWithMembers();
    const { datasetId, versionId } = await seedDataset(team.id, "orphaned", [{ key: "one", prompt: "A case nobody may run any more." }]);
    // Stored as startExperiment stores it, without sending its event: the round below is the run's next one.
    const cases = await getDb().evalCase.findMany({ where: { versionId }, select: { id: true, key: true } });
    const experimentId = await insertExperimentWithResults({
      teamId: team.id,
      name: "orphaned",
      datasetId,
      datasetVersionId: versionId,
      config: { tools: true, cache: false, passScore: 0.7, concurrency: 4 },
      budgetUsd: null,
      baselineId: null,
      createdById: callers.user.userId!,
      apiKeyId: null,
      cases,
    });
    await getDb().membership.update({
      where: { teamId_userId: { teamId: team.id, userId: callers.user.userId! } },
      data: { role: "viewer" },
    });

    expect(await runExperimentRound({ experimentId, teamId: team.id })).toEqual({ state: "ended", status: "failed" });
    const failed = await getExperiment(callers.admin, experimentId);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/can no longer run tasks in this team/);
    expect(failed.results).toMatchObject([{ status: "skipped", taskId: null }]);
    expect(await getDb().task.count({ where: { teamId: team.id } })).toBe(0);
  });
});

describe("the eval machinery's durable writes", () => {
  it("stay at or under one executor row per case for 20 cases at concurrency 4", async () => {
    const { team, callers } = await createTeamWithMembers();
    const cases = Array.from({ length: 20 }, (_, index) => ({
      key: `w${index}`,
      prompt: `Give one fact about the number ${index}.`,
      expected: { contains: [`${index}`] },
    }));
    const { datasetId } = await seedDataset(team.id, "writes", cases);
    const started = await startExperiment(callers.user, { datasetId, config: { concurrency: 4 } });
    const done = await waitForExperiment(callers.user, started.id);
    expect(done.status).toBe("completed");
    expect(done.aggregate.passed + done.aggregate.failed).toBe(20);
    const rows = await durableRowsOf(started.id);
    const perCase = (rows.runs + rows.steps + rows.waits) / 20;
    console.info(`eval experiment durable rows: ${JSON.stringify(rows)} → ${perCase} per case`);
    expect(rows.runs).toBe(1);
    expect(perCase).toBeLessThanOrEqual(1);
  });
});
