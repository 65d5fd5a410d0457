import type { ExperimentAggregate, ResultStatus, ScorerName, ScorerResult } from "./eval-schemas";

/**
 * An experiment's numbers from its results: the same function serves the live view (results so
 * far) and the summary stored when it ends, so the two can never disagree. Pure, so it is
 * unit-tested on fixed inputs.
 */

/** What the aggregate reads of one result. */
export interface AggregatedResult {
  // A result status (eval-schemas.ts `resultStatuses`), as stored.
  status: string;
  score: number | null;
  scores: ScorerResult[] | null;
  costUsd: number;
  tokens: number;
  durationMs: number | null;
}

const SCORED: readonly string[] = ["passed", "failed", "error"];

export function aggregateResults(results: readonly AggregatedResult[]): ExperimentAggregate {
  const count = (status: ResultStatus) => results.filter((result) => result.status === status).length;
  const scored = results.filter((result) => SCORED.includes(result.status));
  const passed = count("passed");
  const byScorer = new Map<ScorerName, number[]>();
  for (const result of scored) {
    for (const scorer of result.scores ?? []) byScorer.set(scorer.scorer, [...(byScorer.get(scorer.scorer) ?? []), scorer.score]);
  }
  const costUsd = sum(results.map((result) => result.costUsd));
  const durations = scored.flatMap((result) => (result.durationMs === null ? [] : [result.durationMs])).sort((a, b) => a - b);
  return {
    total: results.length,
    passed,
    failed: count("failed"),
    errored: count("error"),
    skipped: count("skipped"),
    pending: count("pending"),
    running: count("running"),
    passRate: scored.length === 0 ? null : passed / scored.length,
    // An errored case whose task never completed scores 0 (it was never given a score of its own).
    meanScore: mean(scored.map((result) => result.score ?? 0)),
    meanByScorer: Object.fromEntries([...byScorer].map(([scorer, scores]) => [scorer, mean(scores)!])),
    costUsd,
    meanCostUsd: mean(scored.map((result) => result.costUsd)),
    tokens: sum(results.map((result) => result.tokens)),
    p50DurationMs: percentile(durations, 0.5),
    p95DurationMs: percentile(durations, 0.95),
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : sum(values) / values.length;
}

/** The nearest-rank percentile of sorted values: always one of the measured durations, never an interpolation. */
export function percentile(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}
