import { z } from "zod";
import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { customAgentDefinitionSchema } from "@/server/agents";
import { createAgentDefinition, deleteAgentDefinition, listAgentDefinitions } from "@/server/teams/agent-definitions";

export const agentRouter = createTRPCRouter({
  list: procedureFor("read").query(({ ctx }) => listAgentDefinitions(ctx.caller)),
  create: procedureFor("manage").input(customAgentDefinitionSchema).mutation(({ ctx, input }) => createAgentDefinition(ctx.caller, input)),
  delete: procedureFor("manage").input(z.object({ kind: z.string() })).mutation(({ ctx, input }) => deleteAgentDefinition(ctx.caller, input.kind)),
});
