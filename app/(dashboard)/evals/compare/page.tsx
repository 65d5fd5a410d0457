import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { AppError } from "@/server/errors";
import { compareExperiments } from "@/server/evals/compare-experiments";
import { ComparisonDetail } from "@/components/evals/comparison-detail";

export const metadata: Metadata = { title: "Compare experiments" };
export const dynamic = "force-dynamic";

/** Two experiments side by side (?a=<baseline>&b=<candidate>): aggregate deltas, charts, per-case changes and output diffs. */
export default async function ComparePage({ searchParams }: { searchParams: Promise<{ a?: string | string[]; b?: string | string[] }> }) {
  const { a, b } = await searchParams;
  if (typeof a !== "string" || typeof b !== "string" || !a || !b) {
    return (
      <div className="space-y-2">
        <h1 className="text-lg font-semibold">Compare experiments</h1>
        <p className="text-sm text-slate-600">
          Pick two experiments to compare: tick them on the{" "}
          <Link href="/evals" className="text-indigo-700 underline">
            Evals page
          </Link>
          , or use “Compare with…” on an experiment.
        </p>
      </div>
    );
  }
  const caller = await dashboardCaller();
  const comparison = await compareExperiments(caller, { a, b }).catch((error) => {
    if (error instanceof AppError && (error.code === "not_found" || error.code === "bad_request")) notFound();
    throw error;
  });
  return <ComparisonDetail comparison={comparison} />;
}
