import { describe, expect, it } from "vitest";
import { EXIT, judgeExperiment, summariseRun } from "@/server/cli/eval-gate";
import { resultsTable } from "@/server/cli/eval-run-output";
import type { ComparisonView, ExperimentAggregate, ExperimentView } from "@/server/evals/eval-schemas";

/** The CI gate's verdict on fixed experiments: what exit code a pipeline sees, and why. */
function aggregate(overrides: Partial<ExperimentAggregate> = {}): ExperimentAggregate {
  return {
    total: 4,
    passed: 3,
    failed: 1,
    errored: 0,
    skipped: 0,
    pending: 0,
    running: 0,
    passRate: 0.75,
    meanScore: 0.8,
    meanByScorer: { contains: 0.8 },
    costUsd: 0.01,
    meanCostUsd: 0.0025,
    tokens: 400,
    p50DurationMs: 1200,
    p95DurationMs: 2000,
    ...overrides,
  };
}

const completed = { status: "completed" as const, error: null, aggregate: aggregate() };

function comparison(meanScore: number | null, passRate: number | null): Pick<ComparisonView, "deltas" | "a"> {
  return {
    a: {
      id: "baseline1",
      name: "before",
      datasetId: "d",
      datasetName: "faq",
      datasetVersion: 1,
      status: "completed",
      caseCount: 4,
      passRate: 0.75,
      meanScore: 0.8,
      budgetUsd: null,
      spentUsd: 0.01,
      baselineId: null,
      createdAt: "2026-12-07T00:00:00.000Z",
      startedAt: null,
      finishedAt: null,
      aggregate: aggregate(),
    },
    deltas: { meanScore, passRate, meanByScorer: {}, costUsd: 0, p50DurationMs: 0, p95DurationMs: 0 },
  };
}

describe("the eval gate", () => {
  it("passes a completed experiment at or over its thresholds", () => {
    expect(judgeExperiment(completed, { failUnder: 0.8, passRateUnder: 0.75, maxRegression: 0 })).toEqual({
      passed: true,
      exitCode: EXIT.passed,
      reasons: [],
    });
  });

  it("fails (exit 1) on each threshold missed, naming each", () => {
    const verdict = judgeExperiment(completed, { failUnder: 0.9, passRateUnder: 0.8, maxRegression: 0 });
    expect(verdict.exitCode).toBe(EXIT.gateFailed);
    expect(verdict.reasons).toEqual(["mean score 0.800 is under --fail-under 0.9", "pass rate 75.0% is under --pass-rate-under 0.8"]);
  });

  it("fails on a regression from the baseline past --max-regression points, not within it, nor on a rounding error", () => {
    const thresholds = { maxRegression: 0 };
    expect(judgeExperiment(completed, thresholds, comparison(-1e-12, 0)).exitCode).toBe(EXIT.passed);
    const fell = judgeExperiment(completed, thresholds, comparison(-0.05, -0.25));
    expect(fell.exitCode).toBe(EXIT.gateFailed);
    expect(fell.reasons[0]).toMatch(/^mean score fell 5\.0 points from the baseline baseline1 \(0\.800 → 0\.750\)/);
    expect(fell.reasons[1]).toMatch(/^pass rate fell 25\.0 points from the baseline baseline1 \(75\.0% → 50\.0%\)/);
    expect(judgeExperiment(completed, { maxRegression: 5 }, comparison(-0.05, 0)).exitCode).toBe(EXIT.passed);
    expect(judgeExperiment(completed, { maxRegression: 4.9 }, comparison(-0.05, 0)).exitCode).toBe(EXIT.gateFailed);
  });

  it("exits 3 when the experiment did not complete, whatever its numbers", () => {
    const stopped = judgeExperiment(
      { status: "budget_exceeded", error: "the budget of $0.01 is spent", aggregate: aggregate() },
      { maxRegression: 0 },
    );
    expect(stopped).toEqual({
      passed: false,
      exitCode: EXIT.incomplete,
      reasons: ["the experiment ended budget exceeded: the budget of $0.01 is spent"],
    });
    const timedOut = judgeExperiment({ ...completed, status: "cancelled" }, { maxRegression: 0 }, undefined, true);
    expect(timedOut.exitCode).toBe(EXIT.incomplete);
    expect(timedOut.reasons[0]).toContain("--timeout");
  });

  it("counts an experiment with nothing scored as a mean score of 0", () => {
    const verdict = judgeExperiment(
      { ...completed, aggregate: aggregate({ meanScore: null, passRate: null }) },
      { failUnder: 0.1, maxRegression: 0 },
    );
    expect(verdict.reasons).toEqual(["mean score none (no case was scored) is under --fail-under 0.1"]);
  });

  it("summarises per case and prints one table row per case", () => {
    const experiment = {
      id: "exp1",
      name: "candidate",
      datasetId: "d",
      datasetName: "faq",
      datasetVersion: 2,
      ...completed,
      results: [
        {
          id: "r1",
          caseId: "c1",
          caseKey: "refunds",
          prompt: "p",
          status: "passed",
          taskId: "t1",
          output: "o",
          scores: [{ scorer: "contains", score: 1, weight: 1, explanation: "all facts present" }],
          score: 1,
          passed: true,
          costUsd: 0.0012,
          tokens: 100,
          durationMs: 1500,
          error: null,
          startedAt: null,
          finishedAt: null,
        },
      ],
    } as unknown as ExperimentView;
    const verdict = judgeExperiment(experiment, { maxRegression: 0 });
    const summary = summariseRun({
      experiment,
      url: "https://chorus.example/evals/experiments/exp1",
      thresholds: { maxRegression: 0 },
      verdict,
    });
    expect(summary.cases).toEqual([
      {
        key: "refunds",
        status: "passed",
        score: 1,
        passed: true,
        scores: { contains: 1 },
        costUsd: 0.0012,
        durationMs: 1500,
        taskId: "t1",
        error: null,
      },
    ]);
    expect(summary.gate).toMatchObject({ passed: true, exitCode: 0 });
    expect(resultsTable(experiment).split("\n")).toEqual([
      "CASE     STATUS  SCORE  PASS     COST  TIME",
      "refunds  passed  1.000  yes   $0.0012  1.5s",
    ]);
  });
});
