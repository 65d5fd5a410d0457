import type { ComparisonView, ExperimentView, ScorerName } from "@/server/evals/eval-schemas";

/**
 * The verdict of `chorus eval run` (the CI gate, docs/evals.md#ci-gate) and the JSON summary it
 * writes, worked out from the experiment's answer and, with --baseline, the comparison's: pure,
 * so the exit codes are unit-tested on fixed views and the CLI only fetches and prints.
 */

/** The process's exit codes: the gate's verdict, a usage or configuration error, an experiment that did not complete. */
export const EXIT = { passed: 0, gateFailed: 1, usage: 2, incomplete: 3 } as const;

export interface GateThresholds {
  /** The mean score (0–1) must reach this. */
  failUnder?: number;
  /** The pass rate (0–1) must reach this. */
  passRateUnder?: number;
  /** With a baseline: how far, in points (0–100), the mean score ×100 or the pass rate in % may drop. */
  maxRegression: number;
}

export interface GateVerdict {
  passed: boolean;
  exitCode: (typeof EXIT)[keyof typeof EXIT];
  /** One line per failed condition (empty when it passed). */
  reasons: string[];
}

/** Equal within this is equal: two runs that scored the same must not "regress" by a rounding error. */
const EPSILON = 1e-9;

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const points = (delta: number) => `${(Math.abs(delta) * 100).toFixed(1)} points`;

/** Whether the experiment passes the gate; an experiment that did not complete never does (exit 3, whatever its numbers). */
export function judgeExperiment(
  experiment: Pick<ExperimentView, "status" | "error" | "aggregate">,
  thresholds: GateThresholds,
  comparison?: Pick<ComparisonView, "deltas" | "a">,
  timedOut = false,
): GateVerdict {
  const reasons: string[] = [];
  const incomplete = timedOut || experiment.status !== "completed";
  if (timedOut) reasons.push(`the experiment did not finish within --timeout (it was ${experiment.status}; it is cancelled)`);
  else if (incomplete)
    reasons.push(`the experiment ended ${experiment.status.replace("_", " ")}${experiment.error ? `: ${experiment.error}` : ""}`);
  const { meanScore, passRate } = experiment.aggregate;
  if (thresholds.failUnder !== undefined && (meanScore ?? 0) < thresholds.failUnder - EPSILON)
    reasons.push(
      `mean score ${meanScore === null ? "none (no case was scored)" : meanScore.toFixed(3)} is under --fail-under ${thresholds.failUnder}`,
    );
  if (thresholds.passRateUnder !== undefined && (passRate ?? 0) < thresholds.passRateUnder - EPSILON)
    reasons.push(
      `pass rate ${passRate === null ? "none (no case was scored)" : percent(passRate)} is under --pass-rate-under ${thresholds.passRateUnder}`,
    );
  if (comparison) {
    const allowed = thresholds.maxRegression / 100;
    const { meanScore: scoreDelta, passRate: rateDelta } = comparison.deltas;
    const baseline = comparison.a;
    if (scoreDelta !== null && scoreDelta < -allowed - EPSILON)
      reasons.push(
        `mean score fell ${points(scoreDelta)} from the baseline ${baseline.id} (${baseline.meanScore?.toFixed(3)} → ${((baseline.meanScore ?? 0) + scoreDelta).toFixed(3)}), more than --max-regression ${thresholds.maxRegression}`,
      );
    if (rateDelta !== null && rateDelta < -allowed - EPSILON)
      reasons.push(
        `pass rate fell ${points(rateDelta)} from the baseline ${baseline.id} (${percent(baseline.passRate ?? 0)} → ${percent((baseline.passRate ?? 0) + rateDelta)}), more than --max-regression ${thresholds.maxRegression}`,
      );
  }
  const exitCode = incomplete ? EXIT.incomplete : reasons.length > 0 ? EXIT.gateFailed : EXIT.passed;
  return { passed: exitCode === EXIT.passed, exitCode, reasons };
}

/** The JSON summary (`--json <file>`): what a CI step or a dashboard of its own reads. */
export interface EvalRunSummary {
  experiment: {
    id: string;
    name: string;
    /** The experiment's page, when the server is one a browser can reach (not in local mode). */
    url: string | null;
    status: string;
    dataset: { id: string; name: string; version: number };
  };
  passRate: number | null;
  meanScore: number | null;
  meanByScorer: Partial<Record<ScorerName, number>>;
  counts: { total: number; passed: number; failed: number; errored: number; skipped: number };
  costUsd: number;
  meanCostUsd: number | null;
  tokens: number;
  p50DurationMs: number | null;
  p95DurationMs: number | null;
  cases: {
    key: string;
    status: string;
    score: number | null;
    passed: boolean | null;
    scores: Partial<Record<ScorerName, number>>;
    costUsd: number;
    durationMs: number | null;
    taskId: string | null;
    error: string | null;
  }[];
  baseline: {
    id: string;
    name: string;
    passRate: number | null;
    meanScore: number | null;
    deltas: ComparisonView["deltas"];
    /** Case keys whose score dropped, largest drop first. */
    regressedCases: string[];
  } | null;
  gate: GateVerdict & { thresholds: GateThresholds };
}

export function summariseRun(args: {
  experiment: ExperimentView;
  url: string | null;
  comparison?: ComparisonView;
  thresholds: GateThresholds;
  verdict: GateVerdict;
}): EvalRunSummary {
  const { experiment, comparison, thresholds, verdict } = args;
  const aggregate = experiment.aggregate;
  return {
    experiment: {
      id: experiment.id,
      name: experiment.name,
      url: args.url,
      status: experiment.status,
      dataset: { id: experiment.datasetId, name: experiment.datasetName, version: experiment.datasetVersion },
    },
    passRate: aggregate.passRate,
    meanScore: aggregate.meanScore,
    meanByScorer: aggregate.meanByScorer,
    counts: {
      total: aggregate.total,
      passed: aggregate.passed,
      failed: aggregate.failed,
      errored: aggregate.errored,
      skipped: aggregate.skipped,
    },
    costUsd: aggregate.costUsd,
    meanCostUsd: aggregate.meanCostUsd,
    tokens: aggregate.tokens,
    p50DurationMs: aggregate.p50DurationMs,
    p95DurationMs: aggregate.p95DurationMs,
    cases: experiment.results.map((result) => ({
      key: result.caseKey,
      status: result.status,
      score: result.score,
      passed: result.passed,
      scores: Object.fromEntries(result.scores.map((scored) => [scored.scorer, scored.score])),
      costUsd: result.costUsd,
      durationMs: result.durationMs,
      taskId: result.taskId,
      error: result.error,
    })),
    baseline: comparison
      ? {
          id: comparison.a.id,
          name: comparison.a.name,
          passRate: comparison.a.passRate,
          meanScore: comparison.a.meanScore,
          deltas: comparison.deltas,
          regressedCases: comparison.cases.filter((compared) => compared.change === "regressed").map((compared) => compared.caseKey),
        }
      : null,
    gate: { ...verdict, thresholds },
  };
}
