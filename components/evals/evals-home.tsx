"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { formatCost, formatUtcTime } from "@/components/ui/format";
import { StatusBadge } from "@/components/ui/status-badge";
import type { DatasetSummaryView, ExperimentSummaryView } from "@/server/evals/eval-schemas";
import { formatPassRate, formatScore } from "./eval-format";

/**
 * The /evals page's content: the team's datasets and its experiments, each linking on, and two
 * experiments ticked to compare (the older one becomes the baseline). A team with no dataset yet
 * is told the two ways to start.
 */

export function EvalsHome({
  datasets,
  experiments,
  canWrite,
  canRun,
}: {
  datasets: readonly DatasetSummaryView[];
  experiments: readonly ExperimentSummaryView[];
  canWrite: boolean;
  canRun: boolean;
}) {
  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-lg font-semibold">Evals</h1>
        <p className="text-sm text-slate-600">
          Datasets of tasks with what their results must satisfy, and experiments that run them under a configuration — models, agent
          versions, tools — so you can tell whether a change made results better. See docs/evals.md.
        </p>
      </div>
      <DatasetsSection datasets={datasets} canWrite={canWrite} canRun={canRun} />
      <ExperimentsSection experiments={experiments} hasDatasets={datasets.length > 0} />
    </div>
  );
}

function DatasetsSection({ datasets, canWrite, canRun }: { datasets: readonly DatasetSummaryView[]; canWrite: boolean; canRun: boolean }) {
  return (
    <section aria-labelledby="datasets-heading" className="space-y-3">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="datasets-heading" className="text-sm font-semibold text-slate-800">
          Datasets
        </h2>
        <Link href="/evals/datasets" className="text-sm text-indigo-700 underline">
          {canWrite ? "Manage or create datasets" : "All datasets"}
        </Link>
      </div>
      {datasets.length === 0 ? (
        <div className="rounded-md border border-dashed border-slate-300 px-4 py-6 text-sm text-slate-600" data-testid="evals-empty">
          <p className="font-medium text-slate-800">No datasets yet. Two ways to start:</p>
          <ul className="mt-2 list-disc space-y-1 pl-5">
            <li>
              <Link href="/evals/datasets" className="text-indigo-700 underline">
                Make a dataset
              </Link>{" "}
              and write its cases — a prompt, and facts, sources or a rubric the result must meet — or import them from a JSONL or CSV file.
            </li>
            <li>
              Open a finished{" "}
              <Link href="/tasks" className="text-indigo-700 underline">
                task
              </Link>{" "}
              and choose <span className="font-medium">Add to dataset</span>: its prompt becomes a case and its result the reference answer.
            </li>
          </ul>
        </div>
      ) : (
        <div className="relative overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
          <table className="min-w-full text-sm" data-testid="evals-datasets">
            <thead>
              <tr className="text-left text-xs text-slate-600">
                <th scope="col" className="px-3 py-2 font-medium">
                  Dataset
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Cases
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Version
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Last experiment
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  <span className="sr-only">Run</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {datasets.map((dataset) => (
                <tr key={dataset.id} className="border-t border-slate-100" data-dataset={dataset.name}>
                  <th scope="row" className="px-3 py-2 text-left font-normal">
                    <Link href={`/evals/datasets/${dataset.id}`} className="font-medium text-indigo-700 underline">
                      {dataset.name}
                    </Link>
                  </th>
                  <td className="px-3 py-2 tabular-nums">{dataset.caseCount}</td>
                  <td className="px-3 py-2 tabular-nums">v{dataset.latestVersion}</td>
                  <td className="px-3 py-2">
                    {dataset.lastExperiment ? (
                      <Link href={`/evals/experiments/${dataset.lastExperiment.id}`} className="text-indigo-700 underline">
                        {formatPassRate(dataset.lastExperiment.passRate)} passed
                        <span className="sr-only"> in {dataset.lastExperiment.name}</span>
                      </Link>
                    ) : (
                      <span className="text-slate-500">none yet</span>
                    )}
                  </td>
                  <td className="px-3 py-2">
                    {canRun ? (
                      <Link href={`/evals/experiments/new?dataset=${dataset.id}`} className="whitespace-nowrap text-indigo-700 underline">
                        Run an experiment<span className="sr-only"> on {dataset.name}</span>
                      </Link>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ExperimentsSection({ experiments, hasDatasets }: { experiments: readonly ExperimentSummaryView[]; hasDatasets: boolean }) {
  const router = useRouter();
  const [ticked, setTicked] = useState<readonly string[]>([]);
  const tick = (id: string, on: boolean) =>
    setTicked((current) => (on ? [...current.filter((one) => one !== id), id].slice(-2) : current.filter((one) => one !== id)));
  const compare = () => {
    // The older of the two is the baseline (a), the newer the candidate (b).
    const [first, second] = ticked.map((id) => experiments.find((one) => one.id === id)!);
    if (!first || !second) return;
    const [a, b] = first.createdAt <= second.createdAt ? [first, second] : [second, first];
    router.push(`/evals/compare?a=${a.id}&b=${b.id}`);
  };
  return (
    <section aria-labelledby="experiments-heading" className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="experiments-heading" className="text-sm font-semibold text-slate-800">
          Experiments
        </h2>
        {experiments.length > 1 ? (
          <div className="flex items-center gap-2">
            <p className="text-xs text-slate-600" aria-live="polite">
              {ticked.length === 2 ? "Two ticked." : `Tick two to compare (${ticked.length} ticked).`}
            </p>
            <Button type="button" variant="secondary" disabled={ticked.length !== 2} onClick={compare}>
              Compare ticked
            </Button>
          </div>
        ) : null}
      </div>
      {experiments.length === 0 ? (
        <p className="rounded-md border border-dashed border-slate-300 px-4 py-6 text-center text-sm text-slate-500">
          No experiments yet.{" "}
          {hasDatasets ? "Choose “Run an experiment” on a dataset above." : "Make a dataset first, then run an experiment on it."}
        </p>
      ) : (
        <div className="relative overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
          <table className="min-w-full text-sm" data-testid="evals-experiments">
            <thead>
              <tr className="text-left text-xs text-slate-600">
                <th scope="col" className="px-3 py-2 font-medium">
                  <span className="sr-only">Compare</span>
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Experiment
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Dataset
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Status
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Pass rate
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Mean score
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Cost
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  When
                </th>
              </tr>
            </thead>
            <tbody>
              {experiments.map((experiment) => (
                <tr key={experiment.id} className="border-t border-slate-100" data-experiment={experiment.name}>
                  <td className="px-3 py-2">
                    <input
                      type="checkbox"
                      className="h-4 w-4 rounded border-slate-300"
                      aria-label={`Compare ${experiment.name}`}
                      checked={ticked.includes(experiment.id)}
                      onChange={(event) => tick(experiment.id, event.target.checked)}
                    />
                  </td>
                  <th scope="row" className="px-3 py-2 text-left font-normal">
                    <Link href={`/evals/experiments/${experiment.id}`} className="font-medium text-indigo-700 underline">
                      {experiment.name}
                    </Link>
                  </th>
                  <td className="px-3 py-2">
                    {experiment.datasetName}@{experiment.datasetVersion}
                  </td>
                  <td className="px-3 py-2">
                    <StatusBadge status={experiment.status} />
                  </td>
                  <td className="px-3 py-2 tabular-nums">{formatPassRate(experiment.passRate)}</td>
                  <td className="px-3 py-2 tabular-nums">{formatScore(experiment.meanScore)}</td>
                  <td className="px-3 py-2 tabular-nums">{formatCost(experiment.spentUsd)}</td>
                  <td className="px-3 py-2 whitespace-nowrap">{formatUtcTime(experiment.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
