import { formatCost } from "@/components/ui/format";
import type { EvalResultView } from "@/server/evals/eval-schemas";
import { formatScore } from "./eval-format";

/**
 * What evals' charts draw, as plain data: case scores binned into tenths (a histogram), each
 * scored case as a (cost, score) point, and the one-sentence summary each chart is labelled with
 * (the chart is an image to a screen reader; the sentence and a hidden table carry its numbers).
 * Pure, so it is unit-tested without a browser.
 */

export const SCORE_BINS = 10;

/**
 * Baseline and candidate keep these colours on every chart (theme variables, so dark mode swaps
 * them). Here rather than beside the charts: a server component importing a value from a client
 * module gets a reference to it, not the string.
 */
export const seriesColours = { a: "var(--color-slate-500)", b: "var(--color-indigo-500)" } as const;

export interface ScoreBin {
  /** "0.0–0.1" … "0.9–1.0"; the last bin includes 1.0. */
  label: string;
  from: number;
  to: number;
}

export const scoreBins: readonly ScoreBin[] = Array.from({ length: SCORE_BINS }, (_, index) => ({
  label: `${(index / SCORE_BINS).toFixed(1)}–${((index + 1) / SCORE_BINS).toFixed(1)}`,
  from: index / SCORE_BINS,
  to: (index + 1) / SCORE_BINS,
}));

function binOf(score: number): number {
  return Math.min(SCORE_BINS - 1, Math.max(0, Math.floor(score * SCORE_BINS + 1e-9)));
}

/** The scores a result set has: cases not scored yet (pending, running, skipped) have none. */
export function scoresOf(results: readonly Pick<EvalResultView, "score">[]): number[] {
  return results.flatMap((result) => (result.score === null ? [] : [result.score]));
}

/** Counts per bin for one or more series (e.g. `{ a: [...], b: [...] }`), one row per bin. */
export function scoreHistogram<Series extends string>(series: Record<Series, readonly number[]>): Array<ScoreBin & Record<Series, number>> {
  const names = Object.keys(series) as Series[];
  const rows = scoreBins.map(
    (bin) => ({ ...bin, ...Object.fromEntries(names.map((name) => [name, 0])) }) as ScoreBin & Record<Series, number>,
  );
  for (const name of names) {
    for (const score of series[name]) (rows[binOf(score)]![name] as number) += 1;
  }
  return rows;
}

export interface CostScorePoint {
  caseKey: string;
  costUsd: number;
  score: number;
}

export function costScorePoints(results: readonly Pick<EvalResultView, "caseKey" | "costUsd" | "score">[]): CostScorePoint[] {
  return results.flatMap((result) =>
    result.score === null ? [] : [{ caseKey: result.caseKey, costUsd: result.costUsd, score: result.score }],
  );
}

/** "This experiment: 4 cases scored, mean 0.78; 3 at or above the pass score of 0.70; most in 0.9–1.0 (2)." (no pass score: that clause left out) */
export function scoreDistributionSummary(scores: readonly number[], passScore: number | null, name = "This experiment"): string {
  if (scores.length === 0) return `${name}: no case scored yet.`;
  const mean = scores.reduce((sum, score) => sum + score, 0) / scores.length;
  const passing = passScore === null ? 0 : scores.filter((score) => score >= passScore).length;
  const counts = scoreHistogram({ n: scores });
  const top = counts.reduce((best, row) => (row.n > best.n ? row : best), counts[0]!);
  const cases = scores.length === 1 ? "1 case" : `${scores.length} cases`;
  const passingClause = passScore === null ? "" : `; ${passing} at or above the pass score of ${formatScore(passScore)}`;
  return `${name}: ${cases} scored, mean ${formatScore(mean)}${passingClause}; most in ${top.label} (${top.n}).`;
}

/** "3 cases: cost $0 to $0.0042, score 0.40 to 1.00." */
export function costScoreSummary(points: readonly CostScorePoint[], name = "This experiment"): string {
  if (points.length === 0) return `${name}: no case scored yet.`;
  const costs = points.map((point) => point.costUsd);
  const scores = points.map((point) => point.score);
  const cases = points.length === 1 ? "1 case" : `${points.length} cases`;
  return `${name}: ${cases}, cost ${formatCost(Math.min(...costs))} to ${formatCost(Math.max(...costs))}, score ${formatScore(Math.min(...scores))} to ${formatScore(Math.max(...scores))}.`;
}
