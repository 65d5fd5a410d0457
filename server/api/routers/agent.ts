import { z } from "zod";
import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { customAgentDefinitionSchema } from "@/server/agents";

export const agentRouter = createTRPCRouter({
  list: procedureFor("read").query(({ ctx }) => ctx.services.agents.list(ctx.caller)),
  create: procedureFor("manage")
    .input(customAgentDefinitionSchema)
    .mutation(({ ctx, input }) => ctx.services.agents.create(ctx.caller, input)),
  delete: procedureFor("manage")
    .input(z.object({ kind: z.string() }))
    .mutation(({ ctx, input }) => ctx.services.agents.delete(ctx.caller, input.kind)),
});
