import Link from "next/link";
import { formatCost } from "@/components/ui/format";
import type { UsageOverview } from "@/server/teams/usage-overview";
import { DailyUsageChart } from "./daily-usage-chart";
import { budgetNote, dailyUsageDescription, unknownPriceNote } from "./usage-summary-text";
import { DailyUsageTable, UsageBreakdown } from "./usage-tables";

/**
 * The usage page's content (app/(dashboard)/usage): the 30-day total against the budget, tokens
 * and cost per day (a chart, its numbers as a table, and a sentence), and the breakdowns per
 * model, agent kind and member. Given the numbers, so it renders the same in a test.
 */
export function UsageDashboard({ overview }: { overview: UsageOverview }) {
  const { totals } = overview;
  const description = dailyUsageDescription(overview);
  const unpriced = unknownPriceNote(totals.unknownPriceCalls);
  const budget = budgetNote(totals.costUsd, overview.monthlyBudgetUsd);

  return (
    <div className="space-y-8">
      <section aria-labelledby="usage-heading" className="space-y-4">
        <div>
          <h1 id="usage-heading" className="text-lg font-semibold">
            Usage
          </h1>
          <p className="text-sm text-slate-600">Model calls of your team&apos;s tasks over the last 30 days (days in UTC).</p>
        </div>

        <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="usage-total">
          <p className="text-sm text-slate-600">30-day total</p>
          <p className="text-3xl font-semibold tabular-nums">{formatCost(totals.costUsd)}</p>
          <p className="mt-1 text-sm text-slate-600">
            {totals.calls.toLocaleString("en")} calls · {(totals.inputTokens + totals.outputTokens).toLocaleString("en")} tokens (
            {totals.inputTokens.toLocaleString("en")} in, {totals.outputTokens.toLocaleString("en")} out) ·{" "}
            {totals.cacheHits.toLocaleString("en")} answered from the cache
          </p>
          {budget ? (
            <div className="mt-3 space-y-1">
              <p className={`text-sm ${budget.over ? "font-medium text-red-700" : "text-slate-700"}`}>{budget.text}</p>
              <div
                role="progressbar"
                aria-label="Share of the monthly budget spent in the last 30 days"
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(budget.percent)}
                className="h-2 w-full overflow-hidden rounded-full bg-slate-100"
              >
                <div className={`h-full ${budget.over ? "bg-red-500" : "bg-indigo-500"}`} style={{ width: `${budget.percent}%` }} />
              </div>
            </div>
          ) : (
            // The team's monthly budget (issue #20 §8) shows here once one is set.
            <p className="mt-2 text-xs text-slate-500">No monthly budget set for this team.</p>
          )}
          {unpriced ? (
            <p role="note" className="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="usage-unpriced">
              {unpriced}
            </p>
          ) : null}
        </div>
      </section>

      <section aria-labelledby="usage-daily-heading" className="space-y-3" data-testid="usage-chart">
        <h2 id="usage-daily-heading" className="text-sm font-semibold text-slate-800">
          Tokens and cost per day
        </h2>
        <p className="text-sm text-slate-600">{description}</p>
        {totals.calls === 0 ? (
          <p className="rounded-md border border-dashed border-slate-300 px-4 py-8 text-center text-sm text-slate-500">
            Nothing to chart yet.{" "}
            <Link href="/tasks" className="text-indigo-700 underline">
              Submit a task
            </Link>{" "}
            and its model calls show here.
          </p>
        ) : (
          <>
            <div className="rounded-xl border border-slate-200 bg-white p-3 shadow-sm">
              <DailyUsageChart
                summary={description}
                days={overview.days.map((day) => ({ day: day.key, tokens: day.inputTokens + day.outputTokens, costUsd: day.costUsd }))}
              />
            </div>
            <DailyUsageTable days={overview.days} />
          </>
        )}
      </section>

      <div className="grid gap-6 lg:grid-cols-2">
        <UsageBreakdown title="Per model" keyHeading="Model" rows={overview.byModel} testId="usage-by-model" />
        <UsageBreakdown title="Per agent" keyHeading="Agent" rows={overview.byAgent} testId="usage-by-agent" />
        <UsageBreakdown title="Per member" keyHeading="Member" rows={overview.byMember} testId="usage-by-member" />
      </div>
    </div>
  );
}
