import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { toolApprovalSettingsInput } from "@/server/teams/tool-approvals";

/** The team's settings, one concern per pair of procedures. */
export const settingsRouter = createTRPCRouter({
  toolApprovals: procedureFor("read").query(({ ctx }) => ctx.services.settings.toolApprovals(ctx.caller)),
  updateToolApprovals: procedureFor("manage")
    .input(toolApprovalSettingsInput)
    .mutation(({ ctx, input }) => ctx.services.settings.updateToolApprovals(ctx.caller, input)),
});
