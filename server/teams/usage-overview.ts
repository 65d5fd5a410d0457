import { requirePermission, type Caller } from "@/server/auth/caller";
import { findTeamMemberLabels } from "@/server/db/queries/memberships";
import { findTeamMonthlyBudgetUsd } from "@/server/db/queries/teams";
import { summarizeTeamUsage } from "./usage-summary";

/**
 * Everything the usage page shows (docs/model-usage.md), in one read: the last 30 days (today,
 * UTC, and the 29 before it) per day — every day present, quiet ones at zero, so the chart's
 * axis is continuous — and per model, agent kind and member (named, not ids), with the totals
 * and the team's monthly budget when one is set. Read permission, like the usage API.
 */

export const USAGE_PAGE_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

type Summary = Awaited<ReturnType<typeof summarizeTeamUsage>>;
export type UsageGroup = Summary["groups"][number];
export type UsageBreakdownRow = UsageGroup & { label: string };
export type UsageOverview = Awaited<ReturnType<typeof teamUsageOverview>>;

/** The first instant of the UTC day `days - 1` days before `now`'s: the window's start. */
export function usageWindowStart(now: Date, days = USAGE_PAGE_DAYS): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today - (days - 1) * DAY_MS);
}

/** One row per UTC day from `from` up to `to`'s day, taking what `groups` (keyed YYYY-MM-DD) holds, else zeros. */
export function everyDay(groups: readonly UsageGroup[], from: Date, to: Date): Array<UsageGroup & { key: string }> {
  const byDay = new Map(groups.map((group) => [group.key, group]));
  const days: Array<UsageGroup & { key: string }> = [];
  for (let day = from.getTime(); day < to.getTime(); day += DAY_MS) {
    const key = new Date(day).toISOString().slice(0, 10);
    days.push({ ...(byDay.get(key) ?? emptyGroup()), key });
  }
  return days;
}

function emptyGroup(): UsageGroup {
  return {
    key: null,
    calls: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    unknownPriceCalls: 0,
    cacheHits: 0,
    estimatedCalls: 0,
  };
}

/** Biggest spenders first (then most tokens), so a table's first rows answer "where did it go". */
const bySpend = (a: UsageGroup, b: UsageGroup) =>
  b.costUsd - a.costUsd || b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens);

export async function teamUsageOverview(caller: Caller, now: Date = new Date()) {
  requirePermission(caller, "read");
  const from = usageWindowStart(now);
  const to = new Date(now.getTime() + 1); // the window includes this instant
  const range = { from: from.toISOString(), to: to.toISOString() };
  const [daily, models, agents, members, monthlyBudgetUsd] = await Promise.all([
    summarizeTeamUsage(caller, { ...range, groupBy: "day" }),
    summarizeTeamUsage(caller, { ...range, groupBy: "model" }),
    summarizeTeamUsage(caller, { ...range, groupBy: "agent" }),
    summarizeTeamUsage(caller, { ...range, groupBy: "member" }),
    findTeamMonthlyBudgetUsd(caller.teamId),
  ]);
  const memberIds = members.groups.flatMap((group) => (group.key ? [group.key] : []));
  const names = await findTeamMemberLabels(caller.teamId, memberIds);
  const labelled = (groups: readonly UsageGroup[], label: (key: string | null) => string): UsageBreakdownRow[] =>
    groups.map((group) => ({ ...group, label: label(group.key) })).sort(bySpend);
  return {
    from: range.from,
    to: range.to,
    days: everyDay(daily.groups, from, to),
    totals: daily.totals,
    byModel: labelled(models.groups, (key) => key ?? "unknown model"),
    byAgent: labelled(agents.groups, (key) => key ?? "unknown"),
    byMember: labelled(members.groups, (key) => (key === null ? "No member (system)" : (names.get(key) ?? "Former member"))),
    monthlyBudgetUsd,
  };
}
