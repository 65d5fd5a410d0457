import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { usageSummaryInput } from "@/server/teams/usage-summary";

/** What the team's model calls spent (docs/model-usage.md); every member may read it. */
export const usageRouter = createTRPCRouter({
  summary: procedureFor("read")
    .input(usageSummaryInput)
    .query(({ ctx, input }) => ctx.services.usage.summary(ctx.caller, input)),
});
