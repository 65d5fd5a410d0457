"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Fragment, useState } from "react";
import { useTRPC } from "@/components/providers";
import { Button } from "@/components/ui/button";
import { ConfirmAction } from "@/components/ui/confirm-action";
import { ErrorNote, settingsInputClass } from "@/components/ui/error-note";
import { formatCost, formatDuration, formatUtcTime } from "@/components/ui/format";
import { NumbersTable } from "@/components/ui/numbers-table";
import { StatusBadge } from "@/components/ui/status-badge";
import type { EvalResultView, ExperimentStatus, ExperimentSummaryView, ExperimentView } from "@/server/evals/eval-schemas";
import { CostScoreChart, ScoreHistogramChart } from "./eval-charts";
import { costScorePoints, costScoreSummary, scoreDistributionSummary, scoreHistogram, scoresOf, seriesColours } from "./eval-chart-data";
import { formatPassRate, formatScore, promptExcerpt } from "./eval-format";
import { ChartCard } from "@/components/ui/chart-card";
import { Figure } from "./eval-layout";

/**
 * The experiment page's content (app/(dashboard)/evals/experiments/[id]): its status and
 * progress — re-read every 2 s while it is queued or running, not after — its aggregate, two
 * charts, and every case's result, a row opening onto the output and each scorer's score and
 * explanation. Cancel for members who may run experiments, delete for admins, and "Compare
 * with…" another experiment of the same dataset.
 */

export const LIVE_REFRESH_MS = 2_000;
const activeStatuses: readonly ExperimentStatus[] = ["queued", "running"];

export function ExperimentDetail({
  initial,
  others,
  canExecute,
  canDelete,
}: {
  initial: ExperimentView;
  /** The dataset's other experiments, newest first: what "Compare with…" offers. */
  others: readonly ExperimentSummaryView[];
  canExecute: boolean;
  canDelete: boolean;
}) {
  const trpc = useTRPC();
  const { data } = useQuery(
    trpc.evalExperiments.get.queryOptions(
      { id: initial.id },
      {
        initialData: initial,
        refetchInterval: (query) => (activeStatuses.includes(query.state.data?.status ?? "completed") ? LIVE_REFRESH_MS : false),
      },
    ),
  );
  const experiment = data ?? initial;
  const { aggregate } = experiment;
  const done = aggregate.total - aggregate.pending - aggregate.running;
  const live = activeStatuses.includes(experiment.status);
  const scores = scoresOf(experiment.results);
  const points = costScorePoints(experiment.results);
  const histogramSummary = scoreDistributionSummary(scores, experiment.config.passScore);
  const scatterSummary = costScoreSummary(points);

  return (
    <div className="space-y-6">
      <div className="space-y-2">
        <Link href="/evals" className="text-sm text-indigo-700 hover:underline">
          ← Evals
        </Link>
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="text-lg font-semibold break-words">{experiment.name}</h1>
          <span data-testid="experiment-status">
            <StatusBadge status={experiment.status} />
          </span>
        </div>
        <p className="text-sm text-slate-600">
          Dataset{" "}
          <Link href={`/evals/datasets/${experiment.datasetId}?version=${experiment.datasetVersion}`} className="text-indigo-700 underline">
            {experiment.datasetName}@{experiment.datasetVersion}
          </Link>{" "}
          · started {formatUtcTime(experiment.startedAt ?? experiment.createdAt)}
          {experiment.finishedAt ? ` · finished ${formatUtcTime(experiment.finishedAt)}` : ""}
          {experiment.baselineId ? (
            <>
              {" "}
              ·{" "}
              <Link href={`/evals/compare?a=${experiment.baselineId}&b=${experiment.id}`} className="text-indigo-700 underline">
                compare with its baseline
              </Link>
            </>
          ) : null}
        </p>
        <div className="space-y-1" aria-live="polite">
          <p className="text-sm text-slate-700" data-testid="experiment-progress">
            {done} of {aggregate.total} cases done
            {aggregate.running > 0 ? ` · ${aggregate.running} running` : ""}
            {aggregate.skipped > 0 ? ` · ${aggregate.skipped} skipped` : ""}
            {live ? " · updating live" : ""}
          </p>
          <div
            role="progressbar"
            aria-label="Cases done"
            aria-valuemin={0}
            aria-valuemax={aggregate.total}
            aria-valuenow={done}
            className="h-2 w-full overflow-hidden rounded-full bg-slate-100"
          >
            <div className="h-full bg-indigo-500" style={{ width: `${aggregate.total ? (done / aggregate.total) * 100 : 0}%` }} />
          </div>
        </div>
        {experiment.error ? (
          <p role="note" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
            {experiment.error}
          </p>
        ) : null}
      </div>

      <ExperimentActions experiment={experiment} others={others} canExecute={canExecute} canDelete={canDelete} live={live} />

      <section aria-labelledby="aggregate-heading" className="space-y-2">
        <h2 id="aggregate-heading" className="text-sm font-semibold text-slate-800">
          {live ? "Results so far" : "Results"}
        </h2>
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4" data-testid="experiment-aggregate">
          <Figure label="Pass rate" value={formatPassRate(aggregate.passRate)} testId="aggregate-pass-rate" />
          <Figure label="Mean score" value={formatScore(aggregate.meanScore)} testId="aggregate-mean-score" />
          <Figure label="Total cost" value={formatCost(aggregate.costUsd)} testId="aggregate-cost" />
          <Figure label="Mean cost per case" value={aggregate.meanCostUsd === null ? "—" : formatCost(aggregate.meanCostUsd)} />
          <Figure label="p50 time" value={formatDuration(aggregate.p50DurationMs)} />
          <Figure label="p95 time" value={formatDuration(aggregate.p95DurationMs)} />
          <Figure label="Passed / failed / errors" value={`${aggregate.passed} / ${aggregate.failed} / ${aggregate.errored}`} />
          <Figure
            label="Budget spent"
            value={
              experiment.budgetUsd === null
                ? `${formatCost(experiment.spentUsd)} (no budget)`
                : `${formatCost(experiment.spentUsd)} of ${formatCost(experiment.budgetUsd)}`
            }
          />
        </dl>
        {Object.keys(aggregate.meanByScorer).length > 0 ? (
          <div className="relative overflow-x-auto">
            <table className="min-w-full text-sm" data-testid="mean-by-scorer">
              <caption className="text-left text-xs text-slate-600">Mean score per scorer (weight as configured)</caption>
              <thead>
                <tr className="text-left text-xs text-slate-600">
                  <th scope="col" className="py-1 pr-4 font-medium">
                    Scorer
                  </th>
                  <th scope="col" className="py-1 pr-4 font-medium">
                    Mean
                  </th>
                  <th scope="col" className="py-1 font-medium">
                    Weight
                  </th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(aggregate.meanByScorer).map(([scorer, mean]) => (
                  <tr key={scorer} className="border-t border-slate-100" data-scorer={scorer}>
                    <th scope="row" className="py-1 pr-4 text-left font-normal">
                      {scorer.replaceAll("_", " ")}
                    </th>
                    <td className="py-1 pr-4 tabular-nums">{formatScore(mean)}</td>
                    <td className="py-1 tabular-nums">{experiment.config.scorers?.[scorer as keyof typeof aggregate.meanByScorer] ?? 1}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>

      <div className="grid gap-6 lg:grid-cols-2">
        <ChartCard title="Score distribution" summary={histogramSummary} testId="chart-score-distribution">
          <ScoreHistogramChart
            bins={scoreHistogram({ cases: scores })}
            series={[{ key: "cases", name: "Cases", colour: seriesColours.b }]}
            summary={histogramSummary}
          />
          <NumbersTable
            testId="table-score-distribution"
            caption="Cases per score range"
            rowLabel="Score"
            rows={scoreHistogram({ cases: scores })}
            rowId={(bin) => bin.label}
            rowAttribute="data-bin"
            cellAttribute="data-column"
            columns={[{ key: "cases", label: "Cases", value: (bin) => bin.cases }]}
          />
        </ChartCard>
        <ChartCard title="Cost against score" summary={scatterSummary} testId="chart-cost-score">
          <CostScoreChart series={[{ key: "cases", name: "Cases", colour: seriesColours.b, points }]} summary={scatterSummary} />
          <NumbersTable
            testId="table-cost-score"
            caption="Each case's cost and score"
            rowLabel="Case"
            rows={points}
            rowId={(point) => point.caseKey}
            rowAttribute="data-case"
            cellAttribute="data-column"
            columns={[
              { key: "cost", label: "Cost", value: (point) => formatCost(point.costUsd) },
              { key: "score", label: "Score", value: (point) => formatScore(point.score) },
            ]}
          />
        </ChartCard>
      </div>

      <ResultsTable results={experiment.results} />
    </div>
  );
}

function ExperimentActions({
  experiment,
  others,
  canExecute,
  canDelete,
  live,
}: {
  experiment: ExperimentView;
  others: readonly ExperimentSummaryView[];
  canExecute: boolean;
  canDelete: boolean;
  live: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [compareWith, setCompareWith] = useState(others[0]?.id ?? "");
  // Cancel answers the experiment as it now is: the page shows that at once instead of waiting for the next read.
  const cancel = useMutation(
    trpc.evalExperiments.cancel.mutationOptions({
      onSuccess: (cancelled) => queryClient.setQueryData(trpc.evalExperiments.get.queryKey({ id: experiment.id }), cancelled),
    }),
  );
  const remove = useMutation(trpc.evalExperiments.delete.mutationOptions({ onSuccess: () => router.push("/evals") }));
  return (
    <div className="flex flex-wrap items-end gap-3">
      {others.length > 0 ? (
        <form
          className="flex w-full min-w-0 flex-wrap items-end gap-2 sm:w-auto"
          onSubmit={(event) => {
            event.preventDefault();
            if (compareWith) router.push(`/evals/compare?a=${compareWith}&b=${experiment.id}`);
          }}
        >
          {/* The label may shrink below its select's longest option: a phone's page must not widen for a long name. */}
          <label className="w-full min-w-0 text-sm font-medium text-slate-800 sm:w-auto">
            Compare with…
            <select className={settingsInputClass} value={compareWith} onChange={(event) => setCompareWith(event.target.value)}>
              {others.map((other) => (
                <option key={other.id} value={other.id}>
                  {other.name} ({formatPassRate(other.passRate)} passed, {formatUtcTime(other.createdAt)})
                </option>
              ))}
            </select>
          </label>
          <Button type="submit" variant="secondary">
            Compare
          </Button>
        </form>
      ) : (
        <p className="text-sm text-slate-500">Run another experiment on this dataset to compare the two.</p>
      )}
      {canExecute && live ? (
        <Button type="button" variant="secondary" disabled={cancel.isPending} onClick={() => cancel.mutate({ id: experiment.id })}>
          {cancel.isPending ? "Cancelling…" : "Cancel experiment"}
        </Button>
      ) : null}
      {canDelete ? (
        <ConfirmAction
          trigger="Delete…"
          question={`Delete the experiment “${experiment.name}”?`}
          consequence="Its results and scores are removed. The tasks it ran stay in the task list."
          confirmLabel={remove.isPending ? "Deleting…" : "Yes, delete it"}
          keepLabel="Keep it"
          disabled={remove.isPending}
          onConfirm={() => remove.mutate({ id: experiment.id })}
        />
      ) : null}
      <ErrorNote error={cancel.error ?? remove.error} />
    </div>
  );
}

const resultStatusLabel: Record<EvalResultView["status"], string> = {
  pending: "pending",
  running: "running",
  passed: "passed",
  failed: "failed",
  error: "error",
  skipped: "skipped",
};

function ResultsTable({ results }: { results: readonly EvalResultView[] }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <section aria-labelledby="results-heading" className="space-y-2">
      <h2 id="results-heading" className="text-sm font-semibold text-slate-800">
        Cases
      </h2>
      <div className="relative overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
        <table className="min-w-full text-sm" data-testid="experiment-results">
          <thead>
            <tr className="text-left text-xs text-slate-600">
              <th scope="col" className="px-3 py-2 font-medium">
                Case
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Prompt
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Status
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Score
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Cost
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Time
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Task
              </th>
            </tr>
          </thead>
          <tbody>
            {results.map((result) => {
              const expanded = open.has(result.id);
              const detailsId = `result-${result.id}-details`;
              return (
                <Fragment key={result.id}>
                  <tr className="border-t border-slate-100 align-top" data-case={result.caseKey} data-result-status={result.status}>
                    <th scope="row" className="px-3 py-2 text-left font-normal">
                      <button
                        type="button"
                        aria-expanded={expanded}
                        aria-controls={detailsId}
                        onClick={() => toggle(result.id)}
                        className="inline-flex items-center gap-1 rounded font-mono text-xs text-indigo-700 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                      >
                        <span aria-hidden>{expanded ? "▾" : "▸"}</span>
                        {result.caseKey}
                      </button>
                    </th>
                    <td className="max-w-xs px-3 py-2 text-slate-700">{promptExcerpt(result.prompt, 60)}</td>
                    <td className="px-3 py-2">
                      <StatusBadge status={resultStatusLabel[result.status]} />
                    </td>
                    <td className="px-3 py-2 tabular-nums" data-column="score">
                      {formatScore(result.score)}
                      {result.passed === null ? null : (
                        <span className="ml-1 text-xs text-slate-600">{result.passed ? "pass" : "fail"}</span>
                      )}
                    </td>
                    <td className="px-3 py-2 tabular-nums">{formatCost(result.costUsd)}</td>
                    <td className="px-3 py-2 tabular-nums">{formatDuration(result.durationMs)}</td>
                    <td className="px-3 py-2">
                      {result.taskId ? (
                        <Link href={`/tasks/${result.taskId}`} className="text-indigo-700 underline">
                          task<span className="sr-only"> of case {result.caseKey}</span>
                        </Link>
                      ) : (
                        "—"
                      )}
                    </td>
                  </tr>
                  {expanded ? (
                    <tr id={detailsId} className="bg-slate-50">
                      <td colSpan={7} className="px-3 py-3">
                        <ResultDetails result={result} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ResultDetails({ result }: { result: EvalResultView }) {
  return (
    <div className="space-y-3" data-testid="result-details">
      <div>
        <p className="text-xs font-medium text-slate-600">Prompt</p>
        <p className="whitespace-pre-wrap break-words text-slate-800">{result.prompt}</p>
      </div>
      {result.error ? (
        <p role="note" className="rounded-md bg-red-50 px-3 py-2 text-red-800">
          {result.error}
        </p>
      ) : null}
      <div>
        <p className="text-xs font-medium text-slate-600">Output</p>
        {result.output ? (
          <pre className="max-h-80 overflow-auto whitespace-pre-wrap break-words rounded-md border border-slate-200 bg-white p-2 text-xs text-slate-800">
            {result.output}
          </pre>
        ) : (
          <p className="text-slate-500">No output{result.status === "pending" || result.status === "running" ? " yet" : ""}.</p>
        )}
      </div>
      {result.scores.length > 0 ? (
        <ul className="space-y-1" aria-label={`Scorers of case ${result.caseKey}`}>
          {result.scores.map((score) => (
            <li key={score.scorer} className="flex flex-wrap gap-x-2" data-scorer={score.scorer}>
              <span className="font-medium">{score.scorer.replaceAll("_", " ")}</span>
              <span className="tabular-nums">{formatScore(score.score)}</span>
              <span className="text-xs text-slate-600">weight {score.weight}</span>
              <span className="w-full text-slate-700 sm:w-auto">{score.explanation}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
