import type { ExperimentRow, ResultRow } from "@/server/db/queries/eval-experiments";
import { aggregateResults } from "./experiment-aggregate";
import {
  evalRunConfig,
  scorerResult,
  type EvalResultView,
  type ExperimentStatus,
  type ExperimentSummaryView,
  type ExperimentView,
  type ResultStatus,
} from "./eval-schemas";

/**
 * Rows as the API answers them (`experimentSummaryView`, `experimentView`, `evalResultView` in
 * eval-schemas.ts): one place turns the stored shape into the contract every surface shares.
 */

export function presentExperimentSummary(
  row: ExperimentRow,
  scored: { passRate: number | null; meanScore: number | null },
): ExperimentSummaryView {
  return {
    id: row.id,
    name: row.name,
    datasetId: row.datasetId,
    datasetName: row.datasetName,
    datasetVersion: row.datasetVersion,
    status: row.status as ExperimentStatus,
    caseCount: row.caseCount,
    passRate: scored.passRate,
    meanScore: scored.meanScore,
    budgetUsd: row.budgetUsd,
    spentUsd: row.spentUsd,
    baselineId: row.baselineId,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

export function presentResult(row: ResultRow): EvalResultView {
  return {
    id: row.id,
    caseId: row.caseId,
    caseKey: row.caseKey,
    prompt: row.prompt,
    status: row.status as ResultStatus,
    taskId: row.taskId,
    output: row.output,
    scores: storedScores(row.scores),
    score: row.score,
    passed: row.passed,
    costUsd: row.costUsd,
    tokens: row.tokens,
    durationMs: row.durationMs,
    error: row.error,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

/** The experiment with its results and the aggregate computed from them (live while it runs). */
export function presentExperiment(row: ExperimentRow, resultRows: ResultRow[]): ExperimentView {
  const results = resultRows.map(presentResult);
  const aggregate = aggregateResults(results);
  return {
    ...presentExperimentSummary(row, aggregate),
    config: evalRunConfig.parse(row.config),
    error: row.error,
    aggregate,
    results,
  };
}

/** Scores as stored by a round; anything unreadable (never written by Chorus) is left out rather than failing the read. */
function storedScores(value: unknown) {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    const parsed = scorerResult.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}
