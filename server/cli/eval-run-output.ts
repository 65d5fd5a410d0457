import type { ExperimentView } from "@/server/evals/eval-schemas";
import { alignedTable } from "@/server/cli/aligned-table";
import type { EvalRunSummary } from "@/server/cli/eval-gate";

/** What `chorus eval run` prints: its usage, a progress line while the experiment runs, then the per-case table and the aggregate. */

export const evalRunUsage = `  chorus eval run --dataset NAME --config FILE [--baseline EXPERIMENT_ID] [--fail-under SCORE]
                  [--pass-rate-under RATE] [--max-regression POINTS] [--name NAME] [--budget USD]
                  [--json FILE|-] [--timeout DURATION] [--url URL] [--team SLUG]
      (runs every case of the dataset's latest version as a task under the configuration in FILE
       (JSON: models, agentVersions, tools, cache, scorers, passScore, concurrency, judge), prints a
       table and the aggregate, and exits 1 when the mean score is under --fail-under, the pass rate
       under --pass-rate-under, or either fell from the --baseline experiment's by more than
       --max-regression points (default 0); 3 when the experiment did not complete; 2 on bad usage.
       Against a server: --url or CHORUS_URL, with the key in CHORUS_API_KEY (--api-key works,
       but shows in the process list). Without one: this installation, with --team SLUG;
       --json - writes the JSON summary to stdout; --timeout e.g. 30m cancels it after that long)`;

const money = (usd: number) => `$${usd.toFixed(usd >= 1 ? 2 : 4)}`;
const seconds = (ms: number | null) => (ms === null ? "-" : `${(ms / 1000).toFixed(1)}s`);
const score = (value: number | null) => (value === null ? "-" : value.toFixed(3));
const rate = (value: number | null) => (value === null ? "-" : `${(value * 100).toFixed(1)}%`);

/** `12/40 cases done (10 passed, 1 failed, 1 errored), 4 running, $0.0123 spent`: one line, for stderr. */
export function progressLine(experiment: Pick<ExperimentView, "id" | "status" | "aggregate">): string {
  const a = experiment.aggregate;
  const done = a.passed + a.failed + a.errored + a.skipped;
  return (
    `experiment ${experiment.id} ${experiment.status}: ${done}/${a.total} cases done ` +
    `(${a.passed} passed, ${a.failed} failed, ${a.errored} errored${a.skipped ? `, ${a.skipped} skipped` : ""}), ` +
    `${a.running} running, ${money(a.costUsd)} spent`
  );
}

/** One row per case: key, status, score, pass, cost, time. */
export function resultsTable(experiment: Pick<ExperimentView, "results">): string {
  const rows = experiment.results.map((result) => [
    result.caseKey,
    result.status,
    score(result.score),
    result.passed === null ? "-" : result.passed ? "yes" : "no",
    money(result.costUsd),
    seconds(result.durationMs),
  ]);
  return alignedTable([["CASE", "STATUS", "SCORE", "PASS", "COST", "TIME"], ...rows], { alignRight: [2, 4, 5] });
}

/** Why each case that errored did (a CI log must say, not only count). */
export function errorLines(experiment: Pick<ExperimentView, "results">): string[] {
  return experiment.results.filter((result) => result.error).map((result) => `  ${result.caseKey}: ${result.error}`);
}

/** The aggregate, the baseline's deltas and the gate's verdict, a few lines for a CI log. */
export function aggregateLines(summary: EvalRunSummary): string[] {
  const lines = [
    `Experiment ${summary.experiment.name} (${summary.experiment.id}) on ${summary.experiment.dataset.name} v${summary.experiment.dataset.version}: ${summary.experiment.status}`,
    `  pass rate ${rate(summary.passRate)} (${summary.counts.passed}/${summary.counts.total}), mean score ${score(summary.meanScore)}` +
      Object.entries(summary.meanByScorer)
        .map(([scorer, mean]) => `, ${scorer} ${score(mean)}`)
        .join(""),
    `  cost ${money(summary.costUsd)} (${summary.meanCostUsd === null ? "-" : money(summary.meanCostUsd)} a case), ${summary.tokens} tokens, ` +
      `time p50 ${seconds(summary.p50DurationMs)} p95 ${seconds(summary.p95DurationMs)}`,
  ];
  if (summary.experiment.url) lines.push(`  ${summary.experiment.url}`);
  if (summary.baseline) {
    const { deltas } = summary.baseline;
    const signed = (delta: number | null, scale = 1) => (delta === null ? "-" : `${delta >= 0 ? "+" : ""}${(delta * scale).toFixed(1)}`);
    lines.push(
      `  against baseline ${summary.baseline.name} (${summary.baseline.id}): mean score ${signed(deltas.meanScore, 100)} points, ` +
        `pass rate ${signed(deltas.passRate, 100)} points, cost ${deltas.costUsd >= 0 ? "+" : "-"}${money(Math.abs(deltas.costUsd))}` +
        (summary.baseline.regressedCases.length > 0 ? `; regressed: ${summary.baseline.regressedCases.join(", ")}` : ""),
    );
  }
  lines.push(summary.gate.passed ? "Gate passed." : `Gate failed (exit ${summary.gate.exitCode}):`);
  for (const reason of summary.gate.reasons) lines.push(`  - ${reason}`);
  return lines;
}
