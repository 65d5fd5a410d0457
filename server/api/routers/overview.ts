import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { teamOverviewInput } from "@/server/teams/team-overview";

/** The Overview page's numbers (docs/dashboard.md): tasks per day, agent durations, usage and cache hits. Every member may read it. */
export const overviewRouter = createTRPCRouter({
  read: procedureFor("read")
    .input(teamOverviewInput)
    .query(({ ctx, input }) => ctx.services.overview.read(ctx.caller, input)),
});
