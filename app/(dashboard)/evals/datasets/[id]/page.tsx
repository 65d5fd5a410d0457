import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { cache } from "react";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { AppError } from "@/server/errors";
import { getDataset, listVersions } from "@/server/evals/datasets";
import { CaseEditor } from "@/components/evals/case-editor";
import { DatasetCases } from "@/components/evals/dataset-cases";
import { DeleteDatasetButton } from "@/components/evals/delete-dataset-button";
import { ImportCasesForm } from "@/components/evals/import-cases-form";
import { formatUtcTime } from "@/components/ui/format";

export const dynamic = "force-dynamic";

/** One read per request, shared by the tab title and the page; a dataset (or version) not in the caller's team is a 404. */
const loadDataset = cache(async (id: string, version: string | undefined) => {
  const caller = await dashboardCaller();
  const [dataset, versions] = await Promise.all([getDataset(caller, id, version ? { version } : {}), listVersions(caller, id)]).catch(
    (error: unknown) => {
      if (error instanceof AppError && (error.code === "not_found" || error.code === "bad_request")) notFound();
      throw error;
    },
  );
  return { caller, dataset, versions };
});

type Props = { params: Promise<{ id: string }>; searchParams: Promise<{ version?: string | string[] }> };
const versionParam = async (searchParams: Props["searchParams"]) => {
  const { version } = await searchParams;
  return typeof version === "string" ? version : undefined;
};

export async function generateMetadata({ params, searchParams }: Props): Promise<Metadata> {
  const { dataset } = await loadDataset((await params).id, await versionParam(searchParams));
  return { title: `Dataset: ${dataset.name}` };
}

/**
 * A dataset: the cases of its latest version (or of ?version=), adding, editing and removing
 * cases, importing a file, the version history, a link to run an experiment on it, and (admins)
 * deleting it. Older versions are read-only: they are what past experiments ran.
 */
export default async function DatasetPage({ params, searchParams }: Props) {
  const { caller, dataset, versions } = await loadDataset((await params).id, await versionParam(searchParams));
  const latest = dataset.version === dataset.latestVersion;
  const canWrite = can(caller.role, "write");
  return (
    <div className="space-y-6">
      <Link href="/evals/datasets" className="text-sm text-indigo-700 hover:underline">
        ← Datasets
      </Link>
      <header className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold">{dataset.name}</h1>
          {dataset.description ? <p className="text-sm text-slate-600">{dataset.description}</p> : null}
          <p className="mt-1 text-sm text-slate-600" data-testid="dataset-version">
            Version {dataset.version}
            {latest ? " (latest)" : ` of ${dataset.latestVersion}`} · {dataset.cases.length} case{dataset.cases.length === 1 ? "" : "s"}
          </p>
        </div>
        <div className="flex flex-wrap items-start gap-2">
          {can(caller.role, "execute") ? (
            // Not prefetched: the run form is the experiments pages' (docs/evals.md), built apart from this one.
            <Link
              href={`/evals/experiments/new?dataset=${dataset.id}`}
              prefetch={false}
              className="rounded-md bg-indigo-700 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2"
            >
              Run an experiment
            </Link>
          ) : null}
          {can(caller.role, "delete") ? <DeleteDatasetButton id={dataset.id} name={dataset.name} /> : null}
        </div>
      </header>

      {!latest ? (
        <p className="rounded-md bg-amber-50 px-4 py-3 text-sm text-amber-900">
          You are reading version {dataset.version}; versions are never changed.{" "}
          <Link href={`/evals/datasets/${dataset.id}`} className="font-medium underline">
            Go to the latest (version {dataset.latestVersion})
          </Link>
        </p>
      ) : null}

      <section aria-labelledby="cases-heading" className="space-y-3">
        <h2 id="cases-heading" className="text-base font-semibold">
          Cases
        </h2>
        <DatasetCases datasetId={dataset.id} cases={dataset.cases} editable={latest && canWrite} />
      </section>

      {latest && canWrite ? (
        <>
          <section aria-labelledby="add-case-heading" className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
            <h2 id="add-case-heading" className="mb-3 text-base font-semibold">
              Add a case
            </h2>
            <CaseEditor datasetId={dataset.id} />
          </section>
          <section aria-labelledby="import-heading" className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
            <h2 id="import-heading" className="mb-3 text-base font-semibold">
              Import cases
            </h2>
            <ImportCasesForm datasetId={dataset.id} />
          </section>
        </>
      ) : null}

      <section aria-labelledby="versions-heading">
        <h2 id="versions-heading" className="mb-3 text-base font-semibold">
          Version history
        </h2>
        <ol
          className="divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white text-sm shadow-sm"
          data-testid="version-history"
        >
          {versions.map((version) => (
            <li key={version.version} className="flex flex-wrap items-baseline justify-between gap-2 px-3 py-2">
              <span>
                <Link
                  href={`/evals/datasets/${dataset.id}?version=${version.version}`}
                  aria-current={version.version === dataset.version ? "page" : undefined}
                  className="font-medium text-indigo-700 hover:underline"
                >
                  Version {version.version}
                </Link>{" "}
                <span className="text-slate-700">{version.note || "—"}</span>
              </span>
              <span className="text-xs text-slate-500">
                {version.caseCount} case{version.caseCount === 1 ? "" : "s"} · {version.createdBy ?? "an API key"} ·{" "}
                {formatUtcTime(version.createdAt)}
              </span>
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}
