import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { apiKeyIdInput, createApiKeyInput } from "@/server/teams/team-api-keys";

/** The team's API keys: the same use-cases as /api/v1/api-keys. */
export const apiKeysRouter = createTRPCRouter({
  list: procedureFor("manage", "read").query(({ ctx }) => ctx.services.apiKeys.list(ctx.caller)),
  create: procedureFor("manage")
    .input(createApiKeyInput)
    .mutation(({ ctx, input }) => ctx.services.apiKeys.create(ctx.caller, input)),
  revoke: procedureFor("manage")
    .input(apiKeyIdInput)
    .mutation(({ ctx, input }) => ctx.services.apiKeys.revoke(ctx.caller, input.id)),
});
