import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { AppError } from "@/server/errors";
import { getDataset, listDatasets } from "@/server/evals/datasets";
import { listExperiments } from "@/server/evals/experiments";
import { readModelRouting } from "@/server/teams/model-providers";
import { listAgentDefinitions } from "@/server/teams/agent-definitions";
import { NewExperimentForm } from "@/components/evals/new-experiment-form";

export const metadata: Metadata = { title: "Run an experiment" };
export const dynamic = "force-dynamic";

/** The run form for ?dataset=<id>: the choices it offers are the team's providers, agent kinds, custom agents' versions and the dataset's earlier experiments. */
export default async function NewExperimentPage({ searchParams }: { searchParams: Promise<{ dataset?: string | string[] }> }) {
  const caller = await dashboardCaller();
  const { dataset: datasetId } = await searchParams;
  const heading = (
    <div className="space-y-1">
      <Link href="/evals" className="text-sm text-indigo-700 hover:underline">
        ← Evals
      </Link>
      <h1 className="text-lg font-semibold">Run an experiment</h1>
    </div>
  );
  if (!can(caller.role, "execute")) {
    return (
      <div className="space-y-3">
        {heading}
        <p className="text-sm text-slate-600">Your role may read experiments but not run them: ask an admin or a user of this team.</p>
      </div>
    );
  }
  if (typeof datasetId !== "string" || !datasetId) {
    const datasets = await listDatasets(caller);
    return (
      <div className="space-y-3">
        {heading}
        <p className="text-sm text-slate-600">Which dataset?</p>
        {datasets.length === 0 ? (
          <p className="text-sm text-slate-600">
            No datasets yet:{" "}
            <Link href="/evals/datasets" className="text-indigo-700 underline">
              make one first
            </Link>
            .
          </p>
        ) : (
          <ul className="list-disc space-y-1 pl-5 text-sm">
            {datasets.map((dataset) => (
              <li key={dataset.id}>
                <Link href={`/evals/experiments/new?dataset=${dataset.id}`} className="text-indigo-700 underline">
                  {dataset.name}
                </Link>{" "}
                ({dataset.caseCount} cases)
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }
  const dataset = await getDataset(caller, datasetId).catch((error) => {
    if (error instanceof AppError && (error.code === "not_found" || error.code === "bad_request")) notFound();
    throw error;
  });
  const [routing, { agents }, baselines] = await Promise.all([
    readModelRouting(caller),
    listAgentDefinitions(caller),
    listExperiments(caller, { datasetId: dataset.id }),
  ]);
  return (
    <div className="space-y-4">
      {heading}
      <p className="text-sm text-slate-600">
        Every case of{" "}
        <Link href={`/evals/datasets/${dataset.id}`} className="text-indigo-700 underline">
          {dataset.name}
        </Link>{" "}
        ({dataset.caseCount} cases) runs as a real task under this configuration, then is scored.
      </p>
      <NewExperimentForm
        choices={{
          dataset: { id: dataset.id, name: dataset.name, latestVersion: dataset.latestVersion },
          providers: routing.providers,
          agentKinds: routing.agentKinds,
          // Built-ins have no versions; the team's agents carry their current one.
          customAgents: agents.flatMap((agent) =>
            "version" in agent && typeof agent.version === "number" ? [{ kind: agent.kind, name: agent.name, version: agent.version }] : [],
          ),
          baselines,
        }}
      />
    </div>
  );
}
