import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { toolApprovalSettingsInput } from "@/server/teams/tool-approvals";
import { fetchPolicyInput } from "@/server/web/fetch-policy";
import { modelCacheSettingsInput } from "@/server/teams/model-cache-settings";
import { budgetSettingsInput } from "@/server/teams/budget-settings";

/** The team's settings, one concern per pair of procedures: every member may read them, admins change them. */
export const settingsRouter = createTRPCRouter({
  toolApprovals: procedureFor("read").query(({ ctx }) => ctx.services.settings.toolApprovals(ctx.caller)),
  updateToolApprovals: procedureFor("manage")
    .input(toolApprovalSettingsInput)
    .mutation(({ ctx, input }) => ctx.services.settings.updateToolApprovals(ctx.caller, input)),
  fetchPolicy: procedureFor("read").query(({ ctx }) => ctx.services.settings.fetchPolicy(ctx.caller)),
  updateFetchPolicy: procedureFor("manage")
    .input(fetchPolicyInput)
    .mutation(({ ctx, input }) => ctx.services.settings.updateFetchPolicy(ctx.caller, input)),
  modelCache: procedureFor("read").query(({ ctx }) => ctx.services.settings.modelCache(ctx.caller)),
  updateModelCache: procedureFor("manage")
    .input(modelCacheSettingsInput)
    .mutation(({ ctx, input }) => ctx.services.settings.updateModelCache(ctx.caller, input)),
  budget: procedureFor("read").query(({ ctx }) => ctx.services.settings.budget(ctx.caller)),
  updateBudget: procedureFor("manage")
    .input(budgetSettingsInput)
    .mutation(({ ctx, input }) => ctx.services.settings.updateBudget(ctx.caller, input)),
});
