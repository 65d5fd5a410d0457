import type { Metadata } from "next";
import Link from "next/link";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { listDatasets } from "@/server/evals/datasets";
import { NewDatasetForm } from "@/components/evals/new-dataset-form";
import { formatUtcTime } from "@/components/ui/format";

export const metadata: Metadata = { title: "Evals datasets" };
export const dynamic = "force-dynamic";

/** The team's evals datasets: each with its latest version, case count and newest experiment; and a form to create one. */
export default async function DatasetsPage() {
  const caller = await dashboardCaller();
  const datasets = await listDatasets(caller);
  const canWrite = can(caller.role, "write");
  return (
    <div className="space-y-6">
      <div>
        <Link href="/evals" prefetch={false} className="text-sm text-indigo-700 hover:underline">
          ← Evals
        </Link>
        <h1 className="mt-1 text-lg font-semibold">Datasets</h1>
        <p className="text-sm text-slate-600">
          Cases your agents are measured on: a prompt and what its result must satisfy. Every edit makes a new version; experiments record
          the version they ran.
        </p>
      </div>

      {canWrite ? (
        <section aria-labelledby="new-dataset-heading" className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
          <h2 id="new-dataset-heading" className="mb-3 text-base font-semibold">
            New dataset
          </h2>
          <NewDatasetForm />
        </section>
      ) : (
        <p className="rounded-md bg-slate-100 px-4 py-3 text-sm text-slate-700">
          Your role ({caller.role}) can read datasets but not build them.
        </p>
      )}

      <section aria-labelledby="datasets-heading">
        <h2 id="datasets-heading" className="mb-3 text-base font-semibold">
          Your team&apos;s datasets <span className="font-normal text-slate-500">({datasets.length})</span>
        </h2>
        {datasets.length === 0 ? (
          <p className="rounded-md bg-slate-100 px-4 py-3 text-sm text-slate-700">
            No datasets yet. Create one above, or open a finished task and choose “Add to dataset”.
          </p>
        ) : (
          <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
            <table className="w-full text-left text-sm">
              <thead className="bg-slate-50 text-slate-600">
                <tr>
                  <th scope="col" className="px-3 py-2 font-medium">
                    Name
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
                    Updated
                  </th>
                </tr>
              </thead>
              <tbody>
                {datasets.map((dataset) => (
                  <tr key={dataset.id} className="border-t border-slate-100">
                    <td className="px-3 py-2">
                      <Link href={`/evals/datasets/${dataset.id}`} className="font-medium text-indigo-700 hover:underline">
                        {dataset.name}
                      </Link>
                      {dataset.description ? <p className="text-xs text-slate-500">{dataset.description}</p> : null}
                    </td>
                    <td className="px-3 py-2 tabular-nums">{dataset.caseCount}</td>
                    <td className="px-3 py-2 tabular-nums">v{dataset.latestVersion}</td>
                    <td className="px-3 py-2">
                      {dataset.lastExperiment ? (
                        <Link
                          href={`/evals/experiments/${dataset.lastExperiment.id}`}
                          prefetch={false}
                          className="text-indigo-700 hover:underline"
                        >
                          {dataset.lastExperiment.name} · {dataset.lastExperiment.status}
                          {dataset.lastExperiment.passRate !== null
                            ? ` · ${Math.round(dataset.lastExperiment.passRate * 100)}% passed`
                            : ""}
                        </Link>
                      ) : (
                        <span className="text-slate-500">none yet</span>
                      )}
                    </td>
                    <td className="px-3 py-2 text-slate-600">{formatUtcTime(dataset.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
