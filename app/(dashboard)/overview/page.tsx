import type { Metadata } from "next";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { OVERVIEW_DAY_CHOICES, readTeamOverview } from "@/server/teams/team-overview";
import { OverviewDashboard } from "@/components/overview/overview-dashboard";

export const metadata: Metadata = { title: "Overview" };
export const dynamic = "force-dynamic";

/** The team at a glance (docs/dashboard.md): tasks, step durations, tokens, cost and cache hits over the last 14 or 30 UTC days. */
export default async function OverviewPage({ searchParams }: { searchParams: Promise<{ days?: string | string[] }> }) {
  const caller = await dashboardCaller();
  const asked = Number((await searchParams).days);
  // A hand-edited address gets the default window rather than an error page.
  const days = (OVERVIEW_DAY_CHOICES as readonly number[]).includes(asked) ? asked : 14;
  return <OverviewDashboard overview={await readTeamOverview(caller, { days })} dayChoices={OVERVIEW_DAY_CHOICES} />;
}
