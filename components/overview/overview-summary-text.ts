import { formatCost } from "@/components/ui/format";
import type { TeamOverview } from "@/server/teams/team-overview";
import { formatSpan } from "@/components/tasks/timeline-scale";

/**
 * The Overview charts' numbers in one sentence each: every chart's accessible label. Plain
 * functions, so the wording is tested without rendering a chart.
 */

const count = (value: number, one: string, many = `${one}s`) => `${value.toLocaleString("en")} ${value === 1 ? one : many}`;
const percent = (rate: number) => `${Math.round(rate * 1000) / 10}%`;

export function tasksPerDaySummary(overview: TeamOverview): string {
  if (overview.totals.tasks === 0) return `No tasks in the last ${overview.days} days.`;
  const byStatus = new Map<string, number>();
  for (const day of overview.tasksPerDay)
    for (const [key, value] of Object.entries(day))
      if (key !== "day" && key !== "total") byStatus.set(key, (byStatus.get(key) ?? 0) + Number(value));
  const parts = [...byStatus]
    .filter(([, value]) => value > 0)
    .map(([status, value]) => `${value.toLocaleString("en")} ${status.replaceAll("_", " ")}`);
  const busiest = overview.tasksPerDay.reduce((top, day) => (day.total > top.total ? day : top));
  return `${count(overview.totals.tasks, "task")} in the last ${overview.days} days (${parts.join(", ")}); the busiest day was ${busiest.day} with ${count(busiest.total, "task")}.`;
}

export function agentDurationSummary(overview: TeamOverview): string {
  if (overview.durationByAgent.length === 0) return `No completed agent steps in the last ${overview.days} days.`;
  return `Duration of completed steps per agent kind: ${overview.durationByAgent
    .map((row) => `${row.agent} p50 ${formatSpan(row.p50Ms)}, p95 ${formatSpan(row.p95Ms)} over ${count(row.executions, "step")}`)
    .join("; ")}.`;
}

export function usagePerDaySummary(overview: TeamOverview): string {
  const { totals } = overview;
  if (totals.calls === 0) return `No model calls in the last ${overview.days} days.`;
  return `${count(totals.tokens, "token")} and ${formatCost(totals.costUsd)} over ${count(totals.calls, "model call")} in the last ${overview.days} days.`;
}

export function cacheHitRateSummary(overview: TeamOverview): string {
  const { totals } = overview;
  if (totals.cacheHitRate === null) return `No model calls in the last ${overview.days} days, so no cache hits to show.`;
  return `The response cache answered ${count(totals.cacheHits, "model call")} of ${totals.calls.toLocaleString("en")} (${percent(totals.cacheHitRate)}) in the last ${overview.days} days.`;
}

export function formatHitRate(rate: number | null): string {
  return rate === null ? "—" : percent(rate);
}
