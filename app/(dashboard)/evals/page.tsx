import type { Metadata } from "next";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { listDatasets } from "@/server/evals/datasets";
import { listExperiments } from "@/server/evals/experiments";
import { EvalsHome } from "@/components/evals/evals-home";

export const metadata: Metadata = { title: "Evals" };
export const dynamic = "force-dynamic";

/** The team's eval datasets and experiments (docs/evals.md); every member may read them. */
export default async function EvalsPage() {
  const caller = await dashboardCaller();
  const [datasets, experiments] = await Promise.all([listDatasets(caller), listExperiments(caller)]);
  return (
    <EvalsHome datasets={datasets} experiments={experiments} canWrite={can(caller.role, "write")} canRun={can(caller.role, "execute")} />
  );
}
