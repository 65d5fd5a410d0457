import Link from "next/link";
import type { ReactNode } from "react";
import { formatCost } from "@/components/ui/format";
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
          <ChartCard title="Tasks per day, by status" summary={tasksPerDaySummary(overview)} testId="chart-tasks-per-day">
            <TasksPerDayChart overview={overview} summary={tasksPerDaySummary(overview)} />
            <div className="sr-only">
              <table data-testid="table-tasks-per-day">
                <caption>Tasks per day, by status</caption>
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    {statuses.map((status) => (
                      <th key={status} scope="col">
                        {status.replaceAll("_", " ")}
                      </th>
                    ))}
                    <th scope="col">Total</th>
                  </tr>
                </thead>
                <tbody>
                  {overview.tasksPerDay.map((day) => (
                    <tr key={day.day} data-day={day.day}>
                      <th scope="row">{day.day}</th>
                      {statuses.map((status) => (
                        <td key={status} data-status={status}>
                          {day[status]}
                        </td>
                      ))}
                      <td data-status="total">{day.total}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </ChartCard>

          <ChartCard title="Step duration per agent kind (p50, p95)" summary={agentDurationSummary(overview)} testId="chart-agent-duration">
            {overview.durationByAgent.length === 0 ? (
              <p className="py-8 text-center text-sm text-slate-500">No completed steps yet.</p>
            ) : (
              <AgentDurationChart overview={overview} summary={agentDurationSummary(overview)} />
            )}
            <div className="sr-only">
              <table data-testid="table-agent-duration">
                <caption>Step duration per agent kind</caption>
                <thead>
                  <tr>
                    <th scope="col">Agent</th>
                    <th scope="col">Completed steps</th>
                    <th scope="col">p50</th>
                    <th scope="col">p95</th>
                  </tr>
                </thead>
                <tbody>
                  {overview.durationByAgent.map((row) => (
                    <tr key={row.agent} data-agent={row.agent}>
                      <th scope="row">{row.agent}</th>
                      <td data-column="executions">{row.executions}</td>
                      <td data-column="p50">{formatSpan(row.p50Ms)}</td>
                      <td data-column="p95">{formatSpan(row.p95Ms)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </ChartCard>

          <ChartCard title="Tokens and cost per day" summary={usagePerDaySummary(overview)} testId="chart-usage-per-day">
            <DailyUsageChart
              summary={usagePerDaySummary(overview)}
              days={overview.usagePerDay.map((day) => ({ day: day.day, tokens: day.inputTokens + day.outputTokens, costUsd: day.costUsd }))}
            />
            <div className="sr-only">
              <table data-testid="table-usage-per-day">
                <caption>Tokens and cost per day</caption>
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    <th scope="col">Model calls</th>
                    <th scope="col">Tokens</th>
                    <th scope="col">Cost</th>
                  </tr>
                </thead>
                <tbody>
                  {overview.usagePerDay.map((day) => (
                    <tr key={day.day} data-day={day.day}>
                      <th scope="row">{day.day}</th>
                      <td data-column="calls">{day.calls}</td>
                      <td data-column="tokens">{day.inputTokens + day.outputTokens}</td>
                      <td data-column="cost">{formatCost(day.costUsd)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </ChartCard>

          <ChartCard title="Response cache hit rate per day" summary={cacheHitRateSummary(overview)} testId="chart-cache-hit-rate">
            <CacheHitRateChart overview={overview} summary={cacheHitRateSummary(overview)} />
            <div className="sr-only">
              <table data-testid="table-cache-hit-rate">
                <caption>Response cache hit rate per day</caption>
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    <th scope="col">Cache hits</th>
                    <th scope="col">Model calls</th>
                    <th scope="col">Hit rate</th>
                  </tr>
                </thead>
                <tbody>
                  {overview.usagePerDay.map((day) => (
                    <tr key={day.day} data-day={day.day}>
                      <th scope="row">{day.day}</th>
                      <td data-column="hits">{day.cacheHits}</td>
                      <td data-column="calls">{day.calls}</td>
                      <td data-column="rate">{formatHitRate(day.cacheHitRate)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </ChartCard>
        </div>
      )}
    </div>
  );
}

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

function ChartCard({ title, summary, testId, children }: { title: string; summary: string; testId: string; children: ReactNode }) {
  const headingId = `${testId}-heading`;
  return (
    <section
      aria-labelledby={headingId}
      className="min-w-0 space-y-2 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      data-testid={testId}
    >
      <h2 id={headingId} className="text-sm font-semibold text-slate-800">
        {title}
      </h2>
      <p className="text-xs text-slate-600">{summary}</p>
      {children}
    </section>
  );
}
