import type { Metadata } from "next";
import Link from "next/link";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { readBudgetSettings } from "@/server/teams/budget-settings";
import { readModelCacheSettings } from "@/server/teams/model-cache-settings";
import { MonthlyBudgetForm, ResponseCacheForm } from "@/components/settings/spending-settings";

export const metadata: Metadata = { title: "Spending · Settings" };
export const dynamic = "force-dynamic";

/** What the team may spend on models each month, and whether identical calls are answered from the cache for free. */
export default async function SpendingSettingsPage() {
  const caller = await dashboardCaller();
  const [budget, cache] = await Promise.all([readBudgetSettings(caller), readModelCacheSettings(caller)]);
  const canManage = can(caller.role, "manage");
  return (
    <div className="space-y-8">
      <section aria-labelledby="budget-heading" className="space-y-3">
        <h2 id="budget-heading" className="text-lg font-semibold">
          Monthly budget
        </h2>
        <p className="text-sm text-slate-600">
          Every model call of the team&apos;s tasks reserves its worst case against what is left this month (UTC) before it runs; a task
          whose next call does not fit ends <em>budget exceeded</em>, keeping what it finished. The team is warned at 80%. Tasks can carry
          their own limits too (cost or tokens, on the new-task form). What was spent, per day, model, agent and member:{" "}
          <Link href="/usage" className="text-indigo-700 underline">
            Usage
          </Link>
          .
        </p>
        <MonthlyBudgetForm
          monthlyBudgetUsd={budget.monthlyBudgetUsd}
          spentThisMonthUsd={budget.spentThisMonthUsd}
          month={budget.month}
          canManage={canManage}
        />
      </section>
      <section aria-labelledby="cache-heading" className="space-y-3">
        <h2 id="cache-heading" className="text-lg font-semibold">
          Response cache
        </h2>
        <p className="text-sm text-slate-600">
          An identical model call (same model, messages, parameters and tools) from this team within {Math.round(cache.ttlSeconds / 60)}{" "}
          minutes is answered from the cache: it streams like a live answer and costs nothing. Another team never sees this team&apos;s
          answers. A task can still opt out on the new-task form.
        </p>
        <ResponseCacheForm enabled={cache.enabled} canManage={canManage} />
      </section>
    </div>
  );
}
