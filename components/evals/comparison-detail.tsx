import Link from "next/link";
import { formatCost, formatDuration, formatUtcTime } from "@/components/ui/format";
import { NumbersTable } from "@/components/ui/numbers-table";
import { StatusBadge } from "@/components/ui/status-badge";
import type { ComparisonView, ScorerName } from "@/server/evals/eval-schemas";
import { ComparedCases } from "./compared-cases";
import { CostScoreChart, ScoreHistogramChart } from "./eval-charts";
import { costScorePoints, costScoreSummary, scoreDistributionSummary, scoreHistogram, seriesColours } from "./eval-chart-data";
import { deltaToneClass, formatDelta, formatPassRate, formatScore, type FormattedDelta } from "./eval-format";
import { ChartCard } from "@/components/ui/chart-card";

/**
 * The compare page's content (app/(dashboard)/evals/compare): baseline `a` and candidate `b`
 * side by side — their aggregates with each change marked ▲/▼ (and coloured better/worse), the
 * two score distributions and cost-against-score clouds, then every case matched by key,
 * regressions first, each opening onto the two outputs diffed word by word.
 */

type Side = ComparisonView["a"];

export function ComparisonDetail({ comparison }: { comparison: ComparisonView }) {
  const { a, b, deltas } = comparison;
  const counts = Object.fromEntries(
    (["regressed", "improved", "unchanged", "added", "removed"] as const).map((change) => [
      change,
      comparison.cases.filter((one) => one.change === change).length,
    ]),
  ) as Record<ComparisonView["cases"][number]["change"], number>;
  const scoresA = comparison.cases.flatMap((one) => (one.a?.score == null ? [] : [one.a.score]));
  const scoresB = comparison.cases.flatMap((one) => (one.b?.score == null ? [] : [one.b.score]));
  const pointsOf = (side: "a" | "b") =>
    costScorePoints(
      comparison.cases.flatMap((one) => {
        const result = one[side];
        return result ? [{ caseKey: one.caseKey, costUsd: result.costUsd, score: result.score }] : [];
      }),
    );
  const pointsA = pointsOf("a");
  const pointsB = pointsOf("b");
  const histogram = scoreHistogram({ a: scoresA, b: scoresB });
  // A comparison doesn't carry each side's pass score, so its summary says means and ranges only.
  const histogramSummary = `${scoreDistributionSummary(scoresA, null, `Baseline ${a.name}`)} ${scoreDistributionSummary(scoresB, null, `Candidate ${b.name}`)}`;
  const scatterSummary = `${costScoreSummary(pointsA, `Baseline ${a.name}`)} ${costScoreSummary(pointsB, `Candidate ${b.name}`)}`;
  const scorers = [...new Set([...Object.keys(a.aggregate.meanByScorer), ...Object.keys(b.aggregate.meanByScorer)])] as ScorerName[];

  const rows: Array<{ key: string; label: string; a: string; b: string; delta: FormattedDelta }> = [
    {
      key: "passRate",
      label: "Pass rate",
      a: formatPassRate(a.aggregate.passRate),
      b: formatPassRate(b.aggregate.passRate),
      delta: formatDelta(deltas.passRate, { kind: "rate" }),
    },
    {
      key: "meanScore",
      label: "Mean score",
      a: formatScore(a.aggregate.meanScore),
      b: formatScore(b.aggregate.meanScore),
      delta: formatDelta(deltas.meanScore, { kind: "score", epsilon: 0.005 }),
    },
    ...scorers.map((scorer) => ({
      key: `scorer.${scorer}`,
      label: `Mean ${scorer.replaceAll("_", " ")}`,
      a: formatScore(a.aggregate.meanByScorer[scorer]),
      b: formatScore(b.aggregate.meanByScorer[scorer]),
      delta: formatDelta(deltas.meanByScorer[scorer], { kind: "score", epsilon: 0.005 }),
    })),
    {
      key: "cost",
      label: "Total cost",
      a: formatCost(a.aggregate.costUsd),
      b: formatCost(b.aggregate.costUsd),
      delta: formatDelta(deltas.costUsd, { kind: "cost", higherIsBetter: false }),
    },
    {
      key: "p50",
      label: "p50 time",
      a: formatDuration(a.aggregate.p50DurationMs),
      b: formatDuration(b.aggregate.p50DurationMs),
      delta: formatDelta(deltas.p50DurationMs, { kind: "ms", higherIsBetter: false }),
    },
    {
      key: "p95",
      label: "p95 time",
      a: formatDuration(a.aggregate.p95DurationMs),
      b: formatDuration(b.aggregate.p95DurationMs),
      delta: formatDelta(deltas.p95DurationMs, { kind: "ms", higherIsBetter: false }),
    },
  ];

  return (
    <div className="space-y-6">
      <div className="space-y-2">
        <Link href="/evals" className="text-sm text-indigo-700 hover:underline">
          ← Evals
        </Link>
        <h1 className="text-lg font-semibold">Compare experiments</h1>
        <div className="grid gap-3 sm:grid-cols-2">
          <SideCard label="Baseline (a)" side={a} />
          <SideCard label="Candidate (b)" side={b} />
        </div>
        {a.datasetId !== b.datasetId ? (
          <p role="note" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
            These experiments ran different datasets: only cases with the same key are matched.
          </p>
        ) : a.datasetVersion !== b.datasetVersion ? (
          <p role="note" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
            These experiments ran versions {a.datasetVersion} and {b.datasetVersion} of the dataset: cases are matched by key.
          </p>
        ) : null}
      </div>

      <section aria-labelledby="aggregates-heading" className="space-y-2">
        <h2 id="aggregates-heading" className="text-sm font-semibold text-slate-800">
          Side by side
        </h2>
        <div className="relative overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
          <table className="min-w-full text-sm" data-testid="comparison-aggregates">
            <thead>
              <tr className="text-left text-xs text-slate-600">
                <th scope="col" className="px-3 py-2 font-medium">
                  Measure
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Baseline (a)
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Candidate (b)
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Change
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.key} className="border-t border-slate-100" data-measure={row.key}>
                  <th scope="row" className="px-3 py-2 text-left font-normal">
                    {row.label}
                  </th>
                  <td className="px-3 py-2 tabular-nums">{row.a}</td>
                  <td className="px-3 py-2 tabular-nums">{row.b}</td>
                  <td className={`px-3 py-2 tabular-nums ${deltaToneClass[row.delta.tone]}`} data-tone={row.delta.tone}>
                    {row.delta.text}
                    {row.delta.tone !== "same" ? <span className="sr-only"> ({row.delta.tone})</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="text-sm text-slate-700" data-testid="comparison-counts">
          {counts.regressed} regressed · {counts.improved} improved · {counts.unchanged} unchanged
          {counts.added ? ` · ${counts.added} only in b` : ""}
          {counts.removed ? ` · ${counts.removed} only in a` : ""}
        </p>
      </section>

      <div className="grid gap-6 lg:grid-cols-2">
        <ChartCard title="Score distributions" summary={histogramSummary} testId="chart-compare-scores">
          <ScoreHistogramChart
            bins={histogram}
            series={[
              { key: "a", name: `a: ${a.name}`, colour: seriesColours.a },
              { key: "b", name: `b: ${b.name}`, colour: seriesColours.b },
            ]}
            summary={histogramSummary}
          />
          <NumbersTable
            testId="table-compare-scores"
            caption="Cases per score range, baseline and candidate"
            rowLabel="Score"
            rows={histogram}
            rowId={(bin) => bin.label}
            rowAttribute="data-bin"
            cellAttribute="data-column"
            columns={[
              { key: "a", label: `Baseline ${a.name}`, value: (bin) => bin.a },
              { key: "b", label: `Candidate ${b.name}`, value: (bin) => bin.b },
            ]}
          />
        </ChartCard>
        <ChartCard title="Cost against score" summary={scatterSummary} testId="chart-compare-cost-score">
          <CostScoreChart
            series={[
              { key: "a", name: `a: ${a.name}`, colour: seriesColours.a, points: pointsA },
              { key: "b", name: `b: ${b.name}`, colour: seriesColours.b, points: pointsB },
            ]}
            summary={scatterSummary}
          />
          <NumbersTable
            testId="table-compare-cost-score"
            caption="Each case's cost and score, baseline and candidate"
            rowLabel="Case"
            rows={comparison.cases}
            rowId={(one) => one.caseKey}
            rowAttribute="data-case"
            cellAttribute="data-column"
            columns={[
              { key: "a-cost", label: "Baseline cost", value: (one) => (one.a ? formatCost(one.a.costUsd) : "—") },
              { key: "a-score", label: "Baseline score", value: (one) => formatScore(one.a?.score) },
              { key: "b-cost", label: "Candidate cost", value: (one) => (one.b ? formatCost(one.b.costUsd) : "—") },
              { key: "b-score", label: "Candidate score", value: (one) => formatScore(one.b?.score) },
            ]}
          />
        </ChartCard>
      </div>

      <ComparedCases cases={comparison.cases} />
    </div>
  );
}

function SideCard({ label, side }: { label: string; side: Side }) {
  return (
    <div className="min-w-0 rounded-xl border border-slate-200 bg-white p-3 shadow-sm">
      <p className="text-xs text-slate-600">{label}</p>
      <p className="flex flex-wrap items-center gap-2">
        <Link href={`/evals/experiments/${side.id}`} className="break-words font-medium text-indigo-700 underline">
          {side.name}
        </Link>
        <StatusBadge status={side.status} />
      </p>
      <p className="text-xs text-slate-600">
        {side.datasetName}@{side.datasetVersion} · {formatUtcTime(side.createdAt)}
      </p>
    </div>
  );
}
