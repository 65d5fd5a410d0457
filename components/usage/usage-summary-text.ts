import { formatCost } from "@/components/ui/format";
import type { UsageOverview } from "@/server/teams/usage-overview";

/**
 * The usage page's numbers in sentences: the chart's accessible description, and the lines under
 * the total (the budget, the calls whose cost is not counted). Plain functions, so the wording
 * is tested without rendering.
 */

const count = (value: number, one: string, many = `${one}s`) => `${value.toLocaleString("en")} ${value === 1 ? one : many}`;

export function dailyUsageDescription(overview: Pick<UsageOverview, "days" | "totals">): string {
  const { days, totals } = overview;
  const busiest = days.reduce<UsageOverview["days"][number] | undefined>(
    (top, day) => (day.costUsd > (top?.costUsd ?? 0) || (!top?.costUsd && day.calls > (top?.calls ?? 0)) ? day : top),
    undefined,
  );
  const spread = `${count(totals.calls, "model call")}, ${count(totals.inputTokens + totals.outputTokens, "token")} and ${formatCost(totals.costUsd)} over the last ${days.length} days`;
  if (!busiest || busiest.calls === 0) return `No model calls in the last ${days.length} days.`;
  const active = days.filter((day) => day.calls > 0).length;
  return `${spread}, on ${count(active, "day")}; the busiest was ${busiest.key} with ${count(busiest.calls, "call")} costing ${formatCost(busiest.costUsd)}.`;
}

export function unknownPriceNote(unknownPriceCalls: number): string | undefined {
  if (unknownPriceCalls === 0) return undefined;
  return `${count(unknownPriceCalls, "call")} to models without a known price ${unknownPriceCalls === 1 ? "is" : "are"} not in the cost.`;
}

/** The 30-day total against the monthly budget; undefined when the team has none. */
export function budgetNote(costUsd: number, monthlyBudgetUsd: number | null): { text: string; percent: number; over: boolean } | undefined {
  if (monthlyBudgetUsd === null) return undefined;
  const percent = (costUsd / monthlyBudgetUsd) * 100;
  const shown = percent > 0 && percent < 1 ? "<1" : Math.round(percent).toString();
  return {
    text: `${shown}% of the ${formatCost(monthlyBudgetUsd)} monthly budget`,
    percent: Math.min(100, percent),
    over: costUsd > monthlyBudgetUsd,
  };
}
