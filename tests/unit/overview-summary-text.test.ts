import { describe, expect, it } from "vitest";
import {
  agentDurationSummary,
  cacheHitRateSummary,
  tasksPerDaySummary,
  usagePerDaySummary,
} from "@/components/overview/overview-summary-text";
import type { TeamOverview } from "@/server/teams/team-overview";

const zeroDay = (day: string) => ({
  day,
  total: 0,
  queued: 0,
  running: 0,
  awaiting_approval: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  budget_exceeded: 0,
});

const overview: TeamOverview = {
  from: "2026-12-06T00:00:00.000Z",
  to: "2026-12-07T15:30:00.001Z",
  days: 2,
  tasksPerDay: [
    { ...zeroDay("2026-12-06"), completed: 1, total: 1 },
    { ...zeroDay("2026-12-07"), completed: 2, failed: 1, total: 3 },
  ],
  durationByAgent: [{ agent: "research", executions: 3, p50Ms: 1_500, p95Ms: 4_200 }],
  usagePerDay: [],
  totals: { tasks: 4, calls: 8, tokens: 12_345, costUsd: 0.5, cacheHits: 2, cacheHitRate: 0.25 },
};

describe("the Overview charts' sentences (their accessible labels)", () => {
  it("say what each chart shows", () => {
    expect(tasksPerDaySummary(overview)).toBe(
      "4 tasks in the last 2 days (3 completed, 1 failed); the busiest day was 2026-12-07 with 3 tasks.",
    );
    expect(agentDurationSummary(overview)).toBe("Duration of completed steps per agent kind: research p50 1.5 s, p95 4.2 s over 3 steps.");
    expect(usagePerDaySummary(overview)).toBe("12,345 tokens and $0.50 over 8 model calls in the last 2 days.");
    expect(cacheHitRateSummary(overview)).toBe("The response cache answered 2 model calls of 8 (25%) in the last 2 days.");
  });

  it("say so when there is nothing yet", () => {
    const empty: TeamOverview = {
      ...overview,
      tasksPerDay: [zeroDay("2026-12-06")],
      durationByAgent: [],
      totals: { tasks: 0, calls: 0, tokens: 0, costUsd: 0, cacheHits: 0, cacheHitRate: null },
    };
    expect(tasksPerDaySummary(empty)).toBe("No tasks in the last 2 days.");
    expect(agentDurationSummary(empty)).toBe("No completed agent steps in the last 2 days.");
    expect(usagePerDaySummary(empty)).toBe("No model calls in the last 2 days.");
    expect(cacheHitRateSummary(empty)).toBe("No model calls in the last 2 days, so no cache hits to show.");
  });
});
