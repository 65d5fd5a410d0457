import type { Caller } from "@/server/auth/caller";
import { can } from "@/server/auth/permissions";
import {
  anyCaseSkippedFor,
  findExperiment,
  findExperimentRunnerRole,
  findTasksOfStoppedCases,
  finishExperiment,
  listExperimentResults,
  listRunningCases,
  markExperimentRunning,
  markExperimentStopped,
  readStartingPoint,
  requeueRunningCases,
  requeueStarvedCases,
  reserveAndMarkRunning,
  settleCases,
  skipPendingCases,
  storeExperimentSummary,
  type ExperimentRow,
  type RunningCaseRow,
  type SettledCase,
} from "@/server/db/queries/eval-experiments";
import { isTaskActive } from "@/server/domain/task-vocabulary";
import { AppError } from "@/server/errors";
import { logger } from "@/server/observability/logger";
import { createTask } from "@/server/tasks/tasks";
import { cancelTask } from "@/server/tasks/task-actions";
import { evalRunConfig, type EvalRunConfig, type ScorerResult } from "./eval-schemas";
import { aggregateResults } from "./experiment-aggregate";
import { presentResult } from "./experiment-views";
import { scoreCase } from "./score-case";
import { judgeWorstCaseUsd } from "./scorers/judge";
import type { CaseOutcome } from "./scorers/scorer";
import { watchTeamTaskEnds, type TaskEndSignal } from "./task-end-signal";
import { expectationsOf, planStarts, type PlannedStart } from "./experiment-budget";

/**
 * One round of an experiment's run (the durable function inngest/functions/eval-experiment.ts
 * calls it as one `step.run` after another). A round loops in-process until it has settled a
 * batch of cases or its time is up:
 *
 * (a) every running case whose task has finished — read with its task in one query — is scored
 *     (scoreCase) and written, with the budget settled, in one statement;
 * (b) pending cases are started up to the configured concurrency: each gets its task id made in
 *     advance and written to its row (with its allowance reserved on the experiment) BEFORE the
 *     task is created with that id, so a crash between the two re-creates the same task
 *     (createTask is idempotent by id) rather than a second one;
 * (c) it waits for a task of the team to finish (task-end-signal.ts), then goes round again — until
 *     a batch (`concurrency` cases) has been settled, or ROUND_MAX_MS has passed.
 *
 * Everything a round does is driven by the rows, never by memory: a round repeated after a
 * crash re-reads them, settles only cases still running and starts only cases still pending, so
 * finished cases are never re-run. The round that finds nothing pending or running writes the
 * summary and ends the experiment.
 */

/**
 * A round returns (one durable step) after this long even if few cases finished: then the run parks
 * on `chorus/task.finished` (inngest/functions/eval-experiment.ts), so an experiment of long tasks
 * does not hold one of the executor's run slots for its whole length.
 */
export const ROUND_MAX_MS = 10_000;
/** The safety re-check while waiting for a task end (a missed wake-up costs at most this). */
const RECHECK_MS = 2_000;
export const BUDGET_SPENT = "experiment budget spent";

export type RoundOutcome =
  | {
      state: "running";
      settled: number;
      started: number;
      running: number;
      pending: number;
      /** The round ran out of time before a batch of cases finished: the run should park until a task ends. */
      idle: boolean;
    }
  | { state: "ended"; status: string };

export interface RoundOptions {
  maxMs?: number;
}

export async function runExperimentRound(ref: { experimentId: string; teamId: string }, options: RoundOptions = {}): Promise<RoundOutcome> {
  const { experimentId, teamId } = ref;
  const experiment = await findExperiment(teamId, experimentId);
  if (!experiment) return { state: "ended", status: "deleted" };
  if (!["queued", "running"].includes(experiment.status)) return { state: "ended", status: experiment.status };
  const caller = await runnerOf(experiment);
  if (!caller) {
    const error = "The member or API key that started this experiment can no longer run tasks in this team";
    await stopExperiment(teamId, experimentId, error);
    return { state: "ended", status: "failed" };
  }
  if (!(await markExperimentRunning(teamId, experimentId))) return { state: "ended", status: "cancelled" };
  const config = evalRunConfig.parse(experiment.config);
  const signal = watchTeamTaskEnds(teamId);
  try {
    return await loop(
      { teamId, experimentId, caller, config, budgeted: experiment.budgetUsd !== null },
      signal,
      options.maxMs ?? ROUND_MAX_MS,
    );
  } finally {
    signal.close();
  }
}

interface Run {
  teamId: string;
  experimentId: string;
  caller: Caller;
  config: EvalRunConfig;
  /** The experiment has a budget (cases' allowances come out of it). */
  budgeted: boolean;
}

async function loop(run: Run, signal: TaskEndSignal, maxMs: number): Promise<RoundOutcome> {
  const startedAt = Date.now();
  let settled = 0;
  let started = 0;
  for (;;) {
    settled += await settleFinishedCases(run);
    const point = await readStartingPoint(run.teamId, run.experimentId, run.config.concurrency);
    if (!point || point.status !== "running") return { state: "ended", status: point?.status ?? "deleted" };
    let { pending, running } = point;
    const slots = run.config.concurrency - running;
    if (slots > 0 && pending > 0) {
      const plan = planStarts(point, slots);
      if (plan.starts.length > 0) {
        const marked = await reserveAndMarkRunning(run.teamId, run.experimentId, plan.starts);
        await createCaseTasks(
          run,
          plan.starts.filter((start) => marked.includes(start.resultId)),
        );
        started += marked.length;
        pending -= marked.length;
        running += marked.length;
      } else if (running === 0) {
        // Nothing runs that could hand a reservation back: the budget is spent.
        pending -= await skipPendingCases(run.teamId, run.experimentId, BUDGET_SPENT);
      }
    }
    if (pending === 0 && running === 0) return { state: "ended", status: await endExperiment(run) };
    const batched = settled >= run.config.concurrency;
    if (batched || Date.now() - startedAt >= maxMs) return { state: "running", settled, started, running, pending, idle: !batched };
    await signal.wait(Math.min(RECHECK_MS, Math.max(0, maxMs - (Date.now() - startedAt))));
  }
}

/**
 * (a) Scores and writes every running case whose task has finished; re-creates a task a crash left
 * uncreated. A case whose share of the experiment's budget could not fund even its first model
 * call (its task ended budget_exceeded having spent nothing, under an allowance the budget — not
 * the case — set) is no result: it goes back to pending, and the floor rises so later cases start
 * with enough.
 */
async function settleFinishedCases(run: Run): Promise<number> {
  const rows = await listRunningCases(run.teamId, run.experimentId);
  const missing = rows.filter((row) => row.task === null);
  if (missing.length > 0) await createCaseTasks(run, missing.map(startOfRunningCase));
  const finished = rows.filter((row) => row.task !== null && !isTaskActive(row.task.status));
  const starved = finished.filter((row) => run.budgeted && isStarved(row));
  await requeueStarvedCases(
    run.teamId,
    run.experimentId,
    starved.map((row) => ({ resultId: row.resultId, allowanceUsd: row.allowanceUsd! })),
  );
  const ended = finished.filter((row) => !starved.includes(row));
  if (ended.length === 0) return 0;
  const judgeBudgets = await allotJudgeBudgets(run, ended);
  const scored = await Promise.all(ended.map((row) => scoreFinishedCase(run, row, judgeBudgets?.get(row.resultId))));
  return settleCases(run.teamId, run.experimentId, scored);
}

/**
 * With a budget, judging is paid from it too, so each judgement is allotted its worst case
 * (scorers/judge.ts judgeWorstCaseUsd) from what is free — nothing else holds it, plus what these
 * finished tasks hand back of their allowances — before any judge is called. A case the rest cannot
 * cover is not judged (its judge scores 0, saying why): the budget is never overshot by judging.
 */
async function allotJudgeBudgets(run: Run, ended: RunningCaseRow[]): Promise<Map<string, number> | undefined> {
  if (!run.budgeted || run.config.scorers?.judge === 0) return undefined;
  const judged = ended.filter((row) => row.task!.status === "completed" && expectationsOf(row.expected).rubric);
  if (judged.length === 0) return undefined;
  const point = await readStartingPoint(run.teamId, run.experimentId, 0);
  if (!point || point.budgetUsd === null) return undefined;
  let free = point.budgetUsd - point.spentUsd - point.reservedUsd;
  for (const row of ended) free += Math.max(0, (row.allowanceUsd ?? 0) - row.task!.costUsd);
  const budgets = new Map<string, number>();
  for (const row of judged) {
    const worstCase = await judgeWorstCaseUsd({
      teamId: run.teamId,
      prompt: row.prompt,
      expected: expectationsOf(row.expected),
      outcome: outcomeOf(row),
      judge: run.config.judge,
    });
    if (worstCase !== undefined && worstCase <= free) {
      free -= worstCase;
      budgets.set(row.resultId, worstCase);
    } else budgets.set(row.resultId, Math.max(0, free));
  }
  return budgets;
}

/** What a finished case's task produced and spent, as the scorers read it. */
function outcomeOf(row: RunningCaseRow): CaseOutcome {
  const task = row.task!;
  const completed = task.status === "completed";
  return {
    status: task.status,
    output: completed ? (task.output?.markdown ?? "") : "",
    sources: completed ? (task.output?.sources ?? []) : [],
    costUsd: task.costUsd,
    tokens: task.tokens,
    durationMs: task.durationMs,
  };
}

function isStarved(row: RunningCaseRow): boolean {
  const own = expectationsOf(row.expected).maxCostUsd ?? Infinity;
  return row.task!.status === "budget_exceeded" && row.task!.costUsd === 0 && row.allowanceUsd !== null && row.allowanceUsd < own;
}

async function scoreFinishedCase(run: Run, row: RunningCaseRow, judgeBudgetUsd: number | undefined): Promise<SettledCase> {
  const task = row.task!;
  const completed = task.status === "completed";
  const outcome = outcomeOf(row);
  const output = outcome.output;
  const result = await scoreCase({
    teamId: run.teamId,
    prompt: row.prompt,
    expected: expectationsOf(row.expected),
    outcome,
    config: run.config,
    ...(judgeBudgetUsd === undefined ? {} : { judgeBudgetUsd }),
  });
  return {
    resultId: row.resultId,
    status: completed ? (result.passed ? "passed" : "failed") : "error",
    output: completed ? output : null,
    scores: result.scores,
    score: result.score,
    passed: result.passed,
    // The task's spend and the judge's: a judgement is a model call of the team's, not the task's.
    costUsd: task.costUsd + scoringCostOf(result.scores),
    tokens: task.tokens,
    durationMs: task.durationMs,
    error: completed ? null : (task.error ?? `The task ended ${task.status.replace("_", " ")}`),
  };
}

function startOfRunningCase(row: RunningCaseRow): PlannedStart {
  return {
    resultId: row.resultId,
    taskId: row.taskId,
    allowanceUsd: row.allowanceUsd,
    prompt: row.prompt,
    expected: expectationsOf(row.expected),
  };
}

/** Creates the cases' tasks with their pre-made ids, as whoever started the experiment, under its configuration. */
async function createCaseTasks(run: Run, starts: PlannedStart[]): Promise<void> {
  const unavailable: string[] = [];
  const runConfig = { models: run.config.models, agentVersions: run.config.agentVersions, tools: run.config.tools };
  await Promise.all(
    starts.map(async (start) => {
      const input = {
        prompt: start.prompt,
        cache: run.config.cache,
        ...(start.allowanceUsd === null ? {} : { maxCostUsd: start.allowanceUsd }),
        ...(start.expected.maxTokens === undefined ? {} : { maxTokens: start.expected.maxTokens }),
      };
      try {
        await createTask(run.caller, input, { id: start.taskId, runConfig });
      } catch (error) {
        // Chorus itself could not take the task right now (the executor is stopping, the database
        // or a rate limit said "later"): not the case's fault. The case goes back to pending (its
        // unscheduled task stays in the list, failed) and the round fails, so the durable step is
        // retried with backoff — rather than the case scored as an error, or retried in a loop.
        if (error instanceof AppError && TRANSIENT_CODES.has(error.code)) {
          unavailable.push(start.resultId);
          return;
        }
        // A task that cannot be created is that case's error, not the experiment's; the row is settled as such.
        if (!(error instanceof AppError)) throw error;
        logger.warn("an experiment's case could not start its task", { experimentId: run.experimentId, error: error.message });
        await settleCases(run.teamId, run.experimentId, [
          {
            resultId: start.resultId,
            status: "error",
            output: null,
            scores: [],
            score: 0,
            passed: false,
            costUsd: 0,
            tokens: 0,
            durationMs: 0,
            error: `The case's task could not be created: ${error.message}`,
          },
        ]);
      }
    }),
  );
  // A cancel that landed while these tasks were being created found none of them to cancel: cancel them now.
  const orphans = await findTasksOfStoppedCases(
    run.teamId,
    run.experimentId,
    starts.map((start) => start.taskId),
  );
  for (const taskId of orphans) await cancelTask(run.caller, taskId).catch(() => undefined);
  if (unavailable.length > 0) {
    await requeueRunningCases(
      run.teamId,
      run.experimentId,
      unavailable.map((resultId) => ({ resultId })),
      { raiseFloor: false },
    );
    throw new Error(`Chorus could not schedule ${unavailable.length} case task(s) right now; the round is retried`);
  }
}

/** createTask's answers that mean "not now" rather than "not this case". */
const TRANSIENT_CODES = new Set<string>(["unavailable", "rate_limited"]);

/** The end: the summary from every result, and completed — or budget_exceeded when cases were skipped for the budget. */
async function endExperiment(run: Run): Promise<string> {
  const results = (await listExperimentResults(run.teamId, run.experimentId)).map(presentResult);
  const status = (await anyCaseSkippedFor(run.teamId, run.experimentId, BUDGET_SPENT)) ? "budget_exceeded" : "completed";
  const ended = await finishExperiment(run.teamId, run.experimentId, { status, summary: aggregateResults(results) });
  return ended ? status : "cancelled";
}

/**
 * The run failed for good (a round kept failing past its retries — the function's onFailure): the
 * experiment is failed with why, rather than left "running" with nothing driving it.
 */
export async function failExperimentRun(ref: { experimentId: string; teamId: string }, reason: string): Promise<void> {
  await stopExperiment(ref.teamId, ref.experimentId, `The experiment's run failed: ${reason}`);
}

/** Fails the experiment (its runner lost access, or its run failed): nothing more starts; the summary holds what was scored. */
async function stopExperiment(teamId: string, experimentId: string, error: string) {
  const stopped = await markExperimentStopped(teamId, experimentId, { status: "failed", error, caseError: error });
  if (stopped)
    await storeExperimentSummary(
      teamId,
      experimentId,
      aggregateResults((await listExperimentResults(teamId, experimentId)).map(presentResult)),
    );
}

/** Whoever started the experiment, as a caller with the role they have now; undefined when they may no longer run tasks here. */
async function runnerOf(experiment: ExperimentRow): Promise<Caller | undefined> {
  const role = await findExperimentRunnerRole(experiment.teamId, { userId: experiment.createdById, apiKeyId: experiment.apiKeyId });
  if (!role || !can(role, "execute")) return undefined;
  return {
    teamId: experiment.teamId,
    role,
    ...(experiment.apiKeyId ? { apiKeyId: experiment.apiKeyId } : { userId: experiment.createdById ?? undefined }),
  };
}

/** What scoring a case cost: the judge (and any scorer that calls a model) reports its calls' cost in `details.costUsd`. */
function scoringCostOf(scores: readonly ScorerResult[]): number {
  return scores.reduce((sum, score) => sum + (typeof score.details?.costUsd === "number" ? score.details.costUsd : 0), 0);
}
