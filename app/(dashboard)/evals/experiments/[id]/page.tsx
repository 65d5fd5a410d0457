import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache } from "react";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { AppError } from "@/server/errors";
import { getExperiment, listExperiments } from "@/server/evals/experiments";
import { ExperimentDetail } from "@/components/evals/experiment-detail";

export const dynamic = "force-dynamic";

/** One read per request, shared by the tab title and the page; an experiment outside the caller's team is a 404. */
const loadExperiment = cache(async (id: string) => {
  const caller = await dashboardCaller();
  const experiment = await getExperiment(caller, id).catch((error) => {
    if (error instanceof AppError && (error.code === "not_found" || error.code === "bad_request")) notFound();
    throw error;
  });
  return { caller, experiment };
});

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const { experiment } = await loadExperiment((await params).id);
  return { title: `Experiment: ${experiment.name}` };
}

/** An experiment's progress (live while it runs), aggregate, charts and per-case results. */
export default async function ExperimentPage({ params }: { params: Promise<{ id: string }> }) {
  const { caller, experiment } = await loadExperiment((await params).id);
  const others = (await listExperiments(caller, { datasetId: experiment.datasetId })).filter((other) => other.id !== experiment.id);
  return (
    <ExperimentDetail
      initial={experiment}
      others={others}
      canExecute={can(caller.role, "execute")}
      canDelete={can(caller.role, "delete")}
    />
  );
}
