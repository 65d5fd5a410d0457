import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { getDb, getPool } from "@/server/db/client";
import { insertModelCall, type ModelCallRecord } from "@/server/db/queries/model-calls";
import { teamUsageOverview } from "@/server/teams/usage-overview";
import { UsageDashboard } from "@/components/usage/usage-dashboard";
import { createTeamWithMembers } from "../support/fixtures";

/**
 * The usage page (docs/model-usage.md): the last 30 days of the team's model calls, per day
 * (every day present), per model, agent kind and member (by name), unpriced calls flagged, the
 * total against the monthly budget — and nothing of another team's.
 */

const NOW = new Date("2026-12-07T15:30:00Z");
const DAY_MS = 24 * 60 * 60 * 1000;
const daysAgo = (days: number, hour = 10) => new Date(Date.UTC(2026, 11, 7 - days, hour));

function call(teamId: string, overrides: Partial<ModelCallRecord>): ModelCallRecord {
  return {
    teamId,
    role: "agent",
    agentKind: "research",
    provider: "openai",
    modelId: "gpt-priced",
    inputTokens: 100,
    outputTokens: 50,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: 0.25,
    priceKnown: true,
    cached: false,
    estimated: false,
    outcome: "completed",
    startedAt: daysAgo(0),
    durationMs: 100,
    ...overrides,
  };
}

async function seed() {
  const { team, callers } = await createTeamWithMembers();
  const other = await createTeamWithMembers();
  await getDb().user.update({ where: { id: callers.admin.userId! }, data: { name: "Ada Admin" } });
  const formerMember = await getDb().user.create({ data: { email: `gone-${team.id}@test.dev` } });
  const teamId = team.id;
  for (const record of [
    call(teamId, { userId: callers.admin.userId, startedAt: daysAgo(0) }),
    call(teamId, { userId: callers.admin.userId, startedAt: daysAgo(0, 0), cached: true, costUsd: 0, inputTokens: 0, outputTokens: 0 }),
    call(teamId, { userId: callers.user.userId, modelId: "mystery-model", costUsd: null, priceKnown: false, startedAt: daysAgo(3) }),
    call(teamId, { userId: callers.user.userId, role: "planner", agentKind: undefined, costUsd: 1, startedAt: daysAgo(29, 0) }),
    call(teamId, { userId: formerMember.id, agentKind: "analysis", costUsd: 0.5, startedAt: daysAgo(12) }),
    call(teamId, { agentKind: "synthesis", costUsd: 0.125, startedAt: daysAgo(12) }),
    // Outside the window: the last instant before its first day.
    call(teamId, { userId: callers.admin.userId, costUsd: 100, startedAt: new Date(daysAgo(29, 0).getTime() - 1) }),
    // Another team's call today.
    call(other.team.id, { userId: other.callers.admin.userId, modelId: "other-team-model", costUsd: 42 }),
  ])
    await insertModelCall(record);
  return { team, callers };
}

const userLabel = (overview: Awaited<ReturnType<typeof teamUsageOverview>>, userId: string) =>
  overview.byMember.find((row) => row.key === userId)!.label;

describe("the usage page's numbers", () => {
  it("cover the last 30 UTC days, every day present, and only this team's calls", async () => {
    const { callers } = await seed();
    const overview = await teamUsageOverview(callers.viewer, NOW);

    expect(overview.days).toHaveLength(30);
    expect(overview.days[0]!.key).toBe("2026-11-08");
    expect(overview.days.at(-1)!.key).toBe("2026-12-07");
    expect(new Set(overview.days.map((day) => day.key)).size).toBe(30);
    expect(overview.days.at(-1)).toMatchObject({ calls: 2, cacheHits: 1, costUsd: 0.25 });
    expect(overview.days.find((day) => day.key === "2026-12-04")).toMatchObject({ calls: 1, unknownPriceCalls: 1, costUsd: 0 });
    expect(overview.days.find((day) => day.key === "2026-12-01")).toMatchObject({ calls: 0, costUsd: 0 });

    expect(overview.totals).toMatchObject({ calls: 6, unknownPriceCalls: 1, cacheHits: 1, costUsd: 1.875 });
    expect(overview.byModel.map((row) => row.label)).not.toContain("other-team-model");
    expect(overview.byModel[0]).toMatchObject({ label: "gpt-priced", calls: 5, costUsd: 1.875 }); // biggest spend first
    expect(overview.byModel.find((row) => row.label === "mystery-model")).toMatchObject({ calls: 1, unknownPriceCalls: 1 });
    expect(Object.fromEntries(overview.byAgent.map((row) => [row.label, row.calls]))).toEqual({
      research: 3,
      planner: 1,
      analysis: 1,
      synthesis: 1,
    });
    const members = Object.fromEntries(overview.byMember.map((row) => [row.label, row.costUsd]));
    expect(members).toEqual({
      "Ada Admin": 0.25,
      [userLabel(overview, callers.user.userId!)]: 1,
      "Former member": 0.5,
      "No member (system)": 0.125,
    });
    expect(userLabel(overview, callers.user.userId!)).toMatch(/^user-.*@test\.dev$/); // a member without a name shows as their email
    expect(overview.monthlyBudgetUsd).toBeNull();
  });

  it("read the team's monthly budget, and answer null while none is set", async () => {
    const { team, callers } = await seed();
    expect((await teamUsageOverview(callers.viewer, NOW)).monthlyBudgetUsd).toBeNull(); // not set
    await getPool().query(`UPDATE "Team" SET "monthlyBudgetUsd" = 10 WHERE id = $1`, [team.id]);
    expect((await teamUsageOverview(callers.viewer, NOW)).monthlyBudgetUsd).toBe(10);
  });

  it("render with the chart, the per-model table, the total against the budget and the unpriced calls flagged", async () => {
    const { callers } = await seed();
    const overview = await teamUsageOverview(callers.viewer, NOW);
    const html = renderToStaticMarkup(createElement(UsageDashboard, { overview: { ...overview, monthlyBudgetUsd: 10 } }));
    expect(html).toContain('data-testid="usage-chart"');
    expect(html).toContain('data-testid="usage-by-model"');
    expect(html).toMatch(/data-testid="usage-total"[^]*\$1\.88[^]*19% of the \$10\.00 monthly budget/);
    expect(html).toContain("1 call to models without a known price is not in the cost.");
    expect(html).toContain("Ada Admin");
    expect(html).toContain("2026-11-08"); // the per-day table behind the chart
    expect(html).toContain("6 model calls, 750 tokens and $1.88 over the last 30 days");
  });

  it("render an empty state for a team with no calls", async () => {
    const { callers } = await createTeamWithMembers();
    const overview = await teamUsageOverview(callers.viewer, new Date(NOW.getTime() + DAY_MS));
    expect(overview.totals.calls).toBe(0);
    const html = renderToStaticMarkup(createElement(UsageDashboard, { overview }));
    expect(html).toContain("Nothing to chart yet.");
    expect(html).toContain("No monthly budget set for this team.");
    expect(html).not.toContain("without a known price");
  });
});
