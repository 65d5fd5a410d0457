import type { Metadata } from "next";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { AuditLog } from "@/components/settings/audit-log";

export const metadata: Metadata = { title: "Audit log · Settings" };
export const dynamic = "force-dynamic";

/** Who did what in the team, and when: admins filter it, page through it and export it (docs/audit-log.md). */
export default async function AuditLogPage() {
  const caller = await dashboardCaller();
  return (
    <section aria-labelledby="audit-heading" className="space-y-3">
      <h2 id="audit-heading" className="text-lg font-semibold">
        Audit log
      </h2>
      <p className="text-sm text-slate-600">
        Sign-ins, task actions, API keys, agents and settings changes in your team, newest first. Details never hold secrets or prompts.
      </p>
      {can(caller.role, "manage") ? (
        <AuditLog />
      ) : (
        <p className="rounded-md border border-dashed border-slate-300 px-4 py-8 text-center text-sm text-slate-500">
          Only admins can see the audit log.
        </p>
      )}
    </section>
  );
}
