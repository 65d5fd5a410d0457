import { describe, expect, it } from "vitest";
import { aggregateResults, percentile, type AggregatedResult } from "@/server/evals/experiment-aggregate";
import { aggregateDeltas, compareCases } from "@/server/evals/compare-experiments";
import { MIN_CASE_ALLOWANCE_USD, planStarts } from "@/server/evals/experiment-budget";
import type { EvalResultView } from "@/server/evals/eval-schemas";

/** An experiment's numbers: the aggregate, the comparison's order and deltas, and each case's share of the budget. */

const result = (overrides: Partial<AggregatedResult>): AggregatedResult => ({
  status: "passed",
  score: 1,
  scores: null,
  costUsd: 0,
  tokens: 0,
  durationMs: null,
  ...overrides,
});

describe("aggregateResults", () => {
  it("counts statuses, takes pass rate and mean score over scored cases only (an errored case scores 0)", () => {
    const aggregate = aggregateResults([
      result({ status: "passed", score: 0.9, costUsd: 0.01, tokens: 100, durationMs: 100 }),
      result({ status: "failed", score: 0.5, costUsd: 0.02, tokens: 200, durationMs: 300 }),
      result({ status: "error", score: null, costUsd: 0.03, tokens: 50, durationMs: 200 }),
      result({ status: "skipped", score: null }),
      result({ status: "pending", score: null }),
      result({ status: "running", score: null }),
    ]);
    expect(aggregate).toMatchObject({ total: 6, passed: 1, failed: 1, errored: 1, skipped: 1, pending: 1, running: 1, tokens: 350 });
    expect(aggregate.passRate).toBeCloseTo(1 / 3);
    expect(aggregate.meanScore).toBeCloseTo((0.9 + 0.5 + 0) / 3);
    expect(aggregate.costUsd).toBeCloseTo(0.06);
    expect(aggregate.meanCostUsd).toBeCloseTo(0.02);
    expect(aggregate.p50DurationMs).toBe(200);
    expect(aggregate.p95DurationMs).toBe(300);
  });

  it("means each scorer over the cases it scored", () => {
    const scorer = (name: "contains" | "regex", score: number) => ({ scorer: name, score, weight: 1, explanation: "" });
    const aggregate = aggregateResults([
      result({ scores: [scorer("contains", 1), scorer("regex", 0)] }),
      result({ status: "failed", score: 0.5, scores: [scorer("contains", 0.5)] }),
    ]);
    expect(aggregate.meanByScorer).toEqual({ contains: 0.75, regex: 0 });
  });

  it("has nothing to say before a case is scored", () => {
    const aggregate = aggregateResults([result({ status: "pending", score: null })]);
    expect(aggregate).toMatchObject({ passRate: null, meanScore: null, meanCostUsd: null, p50DurationMs: null, p95DurationMs: null });
  });

  it("takes nearest-rank percentiles (always a measured value)", () => {
    const sorted = Array.from({ length: 20 }, (_, index) => (index + 1) * 10);
    expect(percentile(sorted, 0.5)).toBe(100);
    expect(percentile(sorted, 0.95)).toBe(190);
    expect(percentile([7], 0.95)).toBe(7);
  });
});

const view = (caseKey: string, score: number | null, overrides: Partial<EvalResultView> = {}): EvalResultView => ({
  id: `r-${caseKey}-${score}`,
  caseId: `c-${caseKey}`,
  caseKey,
  prompt: `prompt ${caseKey}`,
  status: score === null ? "error" : score >= 0.7 ? "passed" : "failed",
  taskId: null,
  output: `output ${caseKey}`,
  scores: [],
  score,
  passed: score === null ? null : score >= 0.7,
  costUsd: 0,
  tokens: 0,
  durationMs: 10,
  error: null,
  startedAt: null,
  finishedAt: null,
  ...overrides,
});

describe("compareCases", () => {
  it("lists regressions first (largest drop first), then improvements, unchanged, added, removed", () => {
    const a = [view("small-drop", 0.9), view("big-drop", 1), view("gain", 0.2), view("same", 0.8), view("gone", 0.5)];
    const b = [view("same", 0.8), view("gain", 0.6), view("big-drop", 0.1), view("small-drop", 0.8), view("new", 0.7)];
    const cases = compareCases(a, b);
    expect(cases.map((item) => [item.caseKey, item.change])).toEqual([
      ["big-drop", "regressed"],
      ["small-drop", "regressed"],
      ["gain", "improved"],
      ["same", "unchanged"],
      ["new", "added"],
      ["gone", "removed"],
    ]);
    expect(cases[0]!.delta).toBeCloseTo(-0.9);
    expect(cases[0]!.a?.output).toBe("output big-drop");
    expect(cases[0]!.b?.score).toBe(0.1);
    expect(cases.find((item) => item.change === "added")!.a).toBeNull();
    expect(cases.find((item) => item.change === "removed")!.b).toBeNull();
  });
});

describe("aggregateDeltas", () => {
  it("is b − a, null where either side has no number", () => {
    const a = aggregateResults([result({ score: 0.5, status: "failed", costUsd: 1, durationMs: 100 })]);
    const b = aggregateResults([result({ score: 1, costUsd: 3, durationMs: 50 })]);
    const deltas = aggregateDeltas(a, b);
    expect(deltas).toMatchObject({ passRate: 1, meanScore: 0.5, costUsd: 2, p50DurationMs: -50, p95DurationMs: -50 });
    expect(aggregateDeltas(aggregateResults([]), b).meanScore).toBeNull();
  });
});

describe("planStarts", () => {
  const pending = (count: number, expected: Record<string, unknown> = {}) =>
    Array.from({ length: count }, (_, index) => ({ resultId: `r${index}`, prompt: `p${index}`, expected }));

  it("without a budget starts up to the free slots, each case capped only by its own maxCostUsd", () => {
    const { starts } = planStarts({ budgetUsd: null, spentUsd: 0, reservedUsd: 0, pending: 5, next: pending(5, { maxCostUsd: 0.5 }) }, 3);
    expect(starts.map((start) => start.allowanceUsd)).toEqual([0.5, 0.5, 0.5]);
    expect(new Set(starts.map((start) => start.taskId)).size).toBe(3);
  });

  it("gives each case at most twice an even share of what remains, and never more than remains", () => {
    const { starts } = planStarts({ budgetUsd: 1, spentUsd: 0.2, reservedUsd: 0.3, pending: 5, next: pending(4) }, 4);
    const allowances = starts.map((start) => start.allowanceUsd!);
    expect(allowances[0]).toBeCloseTo((0.5 / 5) * 2);
    expect(allowances.reduce((sum, value) => sum + value, 0)).toBeLessThanOrEqual(0.5);
    for (let index = 1; index < allowances.length; index += 1) expect(allowances[index]).toBeLessThanOrEqual(allowances[index - 1]!);
  });

  it("takes a case's own maxCostUsd when it is smaller than its share", () => {
    const { starts } = planStarts({ budgetUsd: 10, spentUsd: 0, reservedUsd: 0, pending: 2, next: pending(2, { maxCostUsd: 0.25 }) }, 2);
    expect(starts.map((start) => start.allowanceUsd)).toEqual([0.25, 0.25]);
  });

  it("gives a case at least the floor learned from a case that could not start, and starts none when less remains", () => {
    const point = { budgetUsd: 1, spentUsd: 0, reservedUsd: 0, caseFloorUsd: 0.3, pending: 10, next: pending(10) };
    expect(planStarts(point, 4).starts.map((start) => start.allowanceUsd)).toEqual([0.3, 0.3, 0.3]);
    expect(planStarts({ ...point, reservedUsd: 0.8 }, 4).starts).toEqual([]);
  });

  it("starts nothing once what remains is under the floor", () => {
    const point = { budgetUsd: 1, spentUsd: 1 - MIN_CASE_ALLOWANCE_USD / 2, reservedUsd: 0, pending: 3, next: pending(3) };
    expect(planStarts(point, 3).starts).toEqual([]);
  });
});
