import type { Metadata } from "next";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { readTeamStorage } from "@/server/teams/team-storage";
import { StorageOverview } from "@/components/settings/storage-overview";

export const metadata: Metadata = { title: "Data · Settings" };
export const dynamic = "force-dynamic";

/** How much of the database the team takes, what is kept for how long, and when old rows were last pruned (docs/operations.md#storage). */
export default async function DataSettingsPage() {
  const caller = await dashboardCaller();
  const canManage = can(caller.role, "manage");
  return (
    <section aria-labelledby="data-heading" className="space-y-3">
      <h2 id="data-heading" className="text-lg font-semibold">
        Data
      </h2>
      <p className="text-sm text-slate-600">
        What the team&apos;s tasks, events, model calls and knowledge take in the database, and how long history is kept. Task results and
        each agent&apos;s output are always kept; the step-by-step event log of a finished task and the engine&apos;s state go after the
        retention below.
      </p>
      {canManage ? (
        <StorageOverview storage={await readTeamStorage(caller)} />
      ) : (
        <p className="rounded-md border border-dashed border-slate-300 px-4 py-8 text-center text-sm text-slate-500">
          Only admins can see the team&apos;s storage.
        </p>
      )}
    </section>
  );
}
