import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { modelRoutingSchema } from "@/server/llm/model-routing";
import { createModelProviderInput, modelProviderIdInput, updateModelProviderProcedureInput } from "@/server/teams/model-provider-schemas";

/** A team's model providers and routing: the same use-cases as /api/v1/model-providers and /api/v1/settings/models. */
export const modelsRouter = createTRPCRouter({
  listProviders: procedureFor("read").query(({ ctx }) => ctx.services.models.listProviders(ctx.caller)),
  getProvider: procedureFor("read")
    .input(modelProviderIdInput)
    .query(({ ctx, input }) => ctx.services.models.getProvider(ctx.caller, input.id)),
  createProvider: procedureFor("manage")
    .input(createModelProviderInput)
    .mutation(({ ctx, input }) => ctx.services.models.createProvider(ctx.caller, input)),
  updateProvider: procedureFor("manage")
    .input(updateModelProviderProcedureInput)
    .mutation(({ ctx, input: { id, ...changes } }) => ctx.services.models.updateProvider(ctx.caller, id, changes)),
  deleteProvider: procedureFor("manage")
    .input(modelProviderIdInput)
    .mutation(({ ctx, input }) => ctx.services.models.deleteProvider(ctx.caller, input.id)),
  testProvider: procedureFor("manage")
    .input(modelProviderIdInput)
    .mutation(({ ctx, input }) => ctx.services.models.testProvider(ctx.caller, input.id)),
  routing: procedureFor("read").query(({ ctx }) => ctx.services.models.routing(ctx.caller)),
  updateRouting: procedureFor("manage")
    .input(modelRoutingSchema)
    .mutation(({ ctx, input }) => ctx.services.models.updateRouting(ctx.caller, input)),
});
