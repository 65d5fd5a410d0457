import Link from "next/link";
import { formatCost } from "@/components/ui/format";
import { ChartCard } from "@/components/ui/chart-card";
import { NumbersTable } from "@/components/ui/numbers-table";
import { DailyUsageChart } from "@/components/usage/daily-usage-chart";
import { formatSpan } from "@/components/tasks/timeline-scale";
import type { TeamOverview } from "@/server/teams/team-overview";
import { AgentDurationChart, CacheHitRateChart, TasksPerDayChart } from "./overview-charts";
import { agentDurationSummary, cacheHitRateSummary, formatHitRate, tasksPerDaySummary, usagePerDaySummary } from "./overview-summary-text";

/**
 * The Overview page's content (app/(dashboard)/overview): the window's totals, then four charts —
 * tasks per day by status, p50/p95 step duration per agent kind, tokens and cost per day, and the
 * response cache's hit rate — each with its numbers in a visually hidden table (in a hidden box:
 * a table ignores `sr-only`'s 1px width and would widen a phone's page). Given the numbers,
 * so it renders the same in a test; a team with nothing yet gets a way to start instead.
 */

const statuses = ["completed", "failed", "cancelled", "budget_exceeded", "running", "queued", "awaiting_approval"] as const;

export function OverviewDashboard({ overview, dayChoices }: { overview: TeamOverview; dayChoices: readonly number[] }) {
  const summaries = {
    tasksPerDay: tasksPerDaySummary(overview),
    agentDuration: agentDurationSummary(overview),
    usagePerDay: usagePerDaySummary(overview),
    cacheHitRate: cacheHitRateSummary(overview),
  };
  const empty = overview.totals.tasks === 0 && overview.totals.calls === 0 && overview.durationByAgent.length === 0;
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-lg font-semibold">Overview</h1>
          <p className="text-sm text-slate-600">Your team&apos;s tasks and model use over the last {overview.days} days (days in UTC).</p>
        </div>
        <nav aria-label="Days shown" className="flex gap-1 text-sm">
          {dayChoices.map((days) => (
            <Link
              key={days}
              href={`/overview?days=${days}`}
              aria-current={days === overview.days ? "page" : undefined}
              className={`rounded-md border px-2 py-1 ${days === overview.days ? "border-indigo-500 bg-indigo-50 text-indigo-800" : "border-slate-300 text-slate-700 hover:bg-slate-50"}`}
            >
              {days} days
            </Link>
          ))}
        </nav>
      </div>

      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4" data-testid="overview-totals">
        <Total label="Tasks" value={overview.totals.tasks.toLocaleString("en")} testId="total-tasks" />
        <Total label="Tokens" value={overview.totals.tokens.toLocaleString("en")} testId="total-tokens" />
        <Total label="Cost" value={formatCost(overview.totals.costUsd)} testId="total-cost" />
        <Total label="Cache hit rate" value={formatHitRate(overview.totals.cacheHitRate)} testId="total-cache-hit-rate" />
      </dl>

      {empty ? (
        <p
          className="rounded-md border border-dashed border-slate-300 px-4 py-8 text-center text-sm text-slate-500"
          data-testid="overview-empty"
        >
          Nothing to chart yet.{" "}
          <Link href="/tasks" className="text-indigo-700 underline">
            Submit a task
          </Link>{" "}
          and its runs, durations, tokens and cost show here.
        </p>
      ) : (
        <div className="grid gap-6 lg:grid-cols-2">
          <ChartCard title="Tasks per day, by status" summary={summaries.tasksPerDay} testId="chart-tasks-per-day">
            <TasksPerDayChart overview={overview} summary={summaries.tasksPerDay} />
            <NumbersTable
              testId="table-tasks-per-day"
              caption="Tasks per day, by status"
              rowLabel="Day"
              rows={overview.tasksPerDay}
              rowId={(day) => day.day}
              rowAttribute="data-day"
              cellAttribute="data-status"
              columns={[
                ...statuses.map((status) => ({
                  key: status,
                  label: status.replaceAll("_", " "),
                  value: (day: TasksPerDay) => day[status],
                })),
                { key: "total", label: "Total", value: (day: TasksPerDay) => day.total },
              ]}
            />
          </ChartCard>

          <ChartCard title="Step duration per agent kind (p50, p95)" summary={summaries.agentDuration} testId="chart-agent-duration">
            {overview.durationByAgent.length === 0 ? (
              <p className="py-8 text-center text-sm text-slate-500">No completed steps yet.</p>
            ) : (
              <AgentDurationChart overview={overview} summary={summaries.agentDuration} />
            )}
            <NumbersTable
              testId="table-agent-duration"
              caption="Step duration per agent kind"
              rowLabel="Agent"
              rows={overview.durationByAgent}
              rowId={(row) => row.agent}
              rowAttribute="data-agent"
              cellAttribute="data-column"
              columns={[
                { key: "executions", label: "Completed steps", value: (row) => row.executions },
                { key: "p50", label: "p50", value: (row) => formatSpan(row.p50Ms) },
                { key: "p95", label: "p95", value: (row) => formatSpan(row.p95Ms) },
              ]}
            />
          </ChartCard>

          <ChartCard title="Tokens and cost per day" summary={summaries.usagePerDay} testId="chart-usage-per-day">
            <DailyUsageChart
              summary={summaries.usagePerDay}
              days={overview.usagePerDay.map((day) => ({ day: day.day, tokens: day.inputTokens + day.outputTokens, costUsd: day.costUsd }))}
            />
            <NumbersTable
              testId="table-usage-per-day"
              caption="Tokens and cost per day"
              rowLabel="Day"
              rows={overview.usagePerDay}
              rowId={(day) => day.day}
              rowAttribute="data-day"
              cellAttribute="data-column"
              columns={[
                { key: "calls", label: "Model calls", value: (day) => day.calls },
                { key: "tokens", label: "Tokens", value: (day) => day.inputTokens + day.outputTokens },
                { key: "cost", label: "Cost", value: (day) => formatCost(day.costUsd) },
              ]}
            />
          </ChartCard>

          <ChartCard title="Response cache hit rate per day" summary={summaries.cacheHitRate} testId="chart-cache-hit-rate">
            <CacheHitRateChart overview={overview} summary={summaries.cacheHitRate} />
            <NumbersTable
              testId="table-cache-hit-rate"
              caption="Response cache hit rate per day"
              rowLabel="Day"
              rows={overview.usagePerDay}
              rowId={(day) => day.day}
              rowAttribute="data-day"
              cellAttribute="data-column"
              columns={[
                { key: "hits", label: "Cache hits", value: (day) => day.cacheHits },
                { key: "calls", label: "Model calls", value: (day) => day.calls },
                { key: "rate", label: "Hit rate", value: (day) => formatHitRate(day.cacheHitRate) },
              ]}
            />
          </ChartCard>
        </div>
      )}
    </div>
  );
}

type TasksPerDay = TeamOverview["tasksPerDay"][number];

function Total({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="rounded-xl border border-slate-200 bg-white p-3 shadow-sm">
      <dt className="text-xs text-slate-600">{label}</dt>
      <dd className="text-xl font-semibold tabular-nums" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}
