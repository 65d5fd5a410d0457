import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { fetchPolicyInput } from "@/server/web/fetch-policy";

/** Team settings: the fetch policy (who can see it: every member; who can change it: admins). */
export const settingsRouter = createTRPCRouter({
  fetchPolicy: procedureFor("read").query(({ ctx }) => ctx.services.settings.fetchPolicy(ctx.caller)),
  updateFetchPolicy: procedureFor("manage")
    .input(fetchPolicyInput)
    .mutation(({ ctx, input }) => ctx.services.settings.updateFetchPolicy(ctx.caller, input)),
});
