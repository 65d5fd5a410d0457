import { requirePermission, type Caller } from "@/server/auth/caller";
import { findExperiment, listExperimentResults } from "@/server/db/queries/eval-experiments";
import { AppError } from "@/server/errors";
import { parseInput } from "@/server/validation";
import { aggregateResults } from "./experiment-aggregate";
import { presentExperimentSummary, presentResult } from "./experiment-views";
import { compareExperimentsInput } from "./experiment-inputs";
import { scorerNames, type ComparisonView, type EvalResultView, type ExperimentAggregate } from "./eval-schemas";

/**
 * Two experiments side by side (docs/evals.md#compare): `a` the baseline, `b` the candidate.
 * Cases match by key (kept across dataset versions), deltas are b − a, and the case list puts
 * regressions first — largest drop first — then improvements, unchanged, added and removed. The
 * two outputs of a case are both in the answer; the dashboard diffs them in the browser.
 */

type ComparedCase = ComparisonView["cases"][number];

const CHANGE_ORDER: Record<ComparedCase["change"], number> = { regressed: 0, improved: 1, unchanged: 2, added: 3, removed: 4 };
/** Score changes smaller than this are noise (floating point), not a regression. */
const EPSILON = 1e-9;

export async function compareExperiments(caller: Caller, rawInput: unknown): Promise<ComparisonView> {
  requirePermission(caller, "read");
  const input = parseInput(compareExperimentsInput, rawInput);
  // Both read at once; a missing one is named in order, a before b.
  const [a, b] = (await Promise.all([loadSide(caller.teamId, input.a), loadSide(caller.teamId, input.b)])).map((side, index) => {
    if (!side) throw new AppError("not_found", `Experiment ${index === 0 ? "a" : "b"} not found`, index === 0 ? "a" : "b");
    return side;
  }) as [Side, Side];
  return {
    a: a.summary,
    b: b.summary,
    deltas: aggregateDeltas(a.summary.aggregate, b.summary.aggregate),
    cases: compareCases(a.results, b.results),
  };
}

type Side = NonNullable<Awaited<ReturnType<typeof loadSide>>>;

async function loadSide(teamId: string, id: string) {
  const [row, rows] = await Promise.all([findExperiment(teamId, id), listExperimentResults(teamId, id)]);
  if (!row) return undefined;
  const results = rows.map(presentResult);
  const aggregate = aggregateResults(results);
  return { summary: { ...presentExperimentSummary(row, aggregate), aggregate }, results };
}

const minus = (b: number | null, a: number | null) => (a === null || b === null ? null : b - a);

export function aggregateDeltas(a: ExperimentAggregate, b: ExperimentAggregate): ComparisonView["deltas"] {
  const meanByScorer: ComparisonView["deltas"]["meanByScorer"] = {};
  for (const scorer of scorerNames) {
    const delta = minus(b.meanByScorer[scorer] ?? null, a.meanByScorer[scorer] ?? null);
    if (delta !== null) meanByScorer[scorer] = delta;
  }
  return {
    passRate: minus(b.passRate, a.passRate),
    meanScore: minus(b.meanScore, a.meanScore),
    meanByScorer,
    costUsd: b.costUsd - a.costUsd,
    p50DurationMs: minus(b.p50DurationMs, a.p50DurationMs),
    p95DurationMs: minus(b.p95DurationMs, a.p95DurationMs),
  };
}

/** Per-case changes, matched by case key, in the order a reviewer reads them. */
export function compareCases(a: readonly EvalResultView[], b: readonly EvalResultView[]): ComparedCase[] {
  const side = (result: EvalResultView | undefined) =>
    result
      ? {
          resultId: result.id,
          status: result.status,
          score: result.score,
          passed: result.passed,
          output: result.output,
          costUsd: result.costUsd,
          durationMs: result.durationMs,
          taskId: result.taskId,
        }
      : null;
  const inB = new Map(b.map((result) => [result.caseKey, result]));
  const inA = new Map(a.map((result) => [result.caseKey, result]));
  const cases: ComparedCase[] = [];
  for (const before of a) {
    const after = inB.get(before.caseKey);
    if (!after) {
      cases.push({ caseKey: before.caseKey, prompt: before.prompt, a: side(before), b: null, delta: null, change: "removed" });
      continue;
    }
    const delta = minus(after.score, before.score);
    const change = delta === null || Math.abs(delta) <= EPSILON ? "unchanged" : delta < 0 ? "regressed" : "improved";
    cases.push({ caseKey: before.caseKey, prompt: after.prompt, a: side(before), b: side(after), delta, change });
  }
  for (const after of b) {
    if (!inA.has(after.caseKey))
      cases.push({ caseKey: after.caseKey, prompt: after.prompt, a: null, b: side(after), delta: null, change: "added" });
  }
  // Stable within a group except that regressions go largest drop first and improvements largest gain first.
  return cases
    .map((item, index) => ({ item, index }))
    .sort((x, y) => {
      const group = CHANGE_ORDER[x.item.change] - CHANGE_ORDER[y.item.change];
      if (group !== 0) return group;
      if (x.item.change === "regressed") return x.item.delta! - y.item.delta! || x.index - y.index;
      if (x.item.change === "improved") return y.item.delta! - x.item.delta! || x.index - y.index;
      return x.index - y.index;
    })
    .map(({ item }) => item);
}
