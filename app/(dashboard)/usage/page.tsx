import type { Metadata } from "next";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { teamUsageOverview } from "@/server/teams/usage-overview";
import { UsageDashboard } from "@/components/usage/usage-dashboard";

export const metadata: Metadata = { title: "Usage" };
export const dynamic = "force-dynamic";

/** What the team's model calls used and cost over the last 30 days (docs/model-usage.md); every member may see it. */
export default async function UsagePage() {
  const caller = await dashboardCaller();
  return <UsageDashboard overview={await teamUsageOverview(caller)} />;
}
