import type { Metadata } from "next";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { readToolApprovalSettings } from "@/server/teams/tool-approvals";
import { readFetchPolicy } from "@/server/web/fetch-policy";
import { FetchPolicyForm, ToolApprovalsForm } from "@/components/settings/tool-settings";

export const metadata: Metadata = { title: "Tools · Settings" };
export const dynamic = "force-dynamic";

/** Which tool calls wait for a person, and which hosts the fetch tool may or must never reach. */
export default async function ToolSettingsPage() {
  const caller = await dashboardCaller();
  const [approvals, policy] = await Promise.all([readToolApprovalSettings(caller), readFetchPolicy(caller)]);
  const canManage = can(caller.role, "manage");
  return (
    <div className="space-y-8">
      <section aria-labelledby="approvals-heading" className="space-y-3">
        <h2 id="approvals-heading" className="text-lg font-semibold">
          Approval before tool calls
        </h2>
        <p className="text-sm text-slate-600">
          A call to a ticked tool waits on the task page until someone who may run tasks approves, edits or denies it. MCP tools that say
          they are destructive always wait.
        </p>
        <ToolApprovalsForm available={approvals.available} selected={approvals.tools} canManage={canManage} />
      </section>
      <section aria-labelledby="fetch-policy-heading" className="space-y-3">
        <h2 id="fetch-policy-heading" className="text-lg font-semibold">
          Web fetch policy
        </h2>
        <p className="text-sm text-slate-600">
          The fetch tool never reaches private, internal or cloud-metadata addresses. <strong>Allow</strong> opens a host or network on your
          own network (an internal wiki); <strong>deny</strong> blocks a public one. Deny wins. One entry per line: host names,{" "}
          <code>*.example.com</code>, IP addresses or CIDRs.
        </p>
        <FetchPolicyForm allow={policy.allow} deny={policy.deny} canManage={canManage} />
      </section>
    </div>
  );
}
