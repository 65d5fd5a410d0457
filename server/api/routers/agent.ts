import { z } from "zod";
import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { customAgentDefinitionSchema } from "@/server/agents";
import { tryAgentInput } from "@/server/tasks/try-agent";

const byKind = z.object({ kind: z.string() });

export const agentRouter = createTRPCRouter({
  list: procedureFor("read").query(({ ctx }) => ctx.services.agents.list(ctx.caller)),
  get: procedureFor("read")
    .input(byKind)
    .query(({ ctx, input }) => ctx.services.agents.get(ctx.caller, input.kind)),
  versions: procedureFor("read")
    .input(byKind)
    .query(({ ctx, input }) => ctx.services.agents.versions(ctx.caller, input.kind)),
  create: procedureFor("manage")
    .input(customAgentDefinitionSchema)
    .mutation(({ ctx, input }) => ctx.services.agents.create(ctx.caller, input)),
  /** The agent's fields beside its kind; the service validates them (and names a bad field). */
  update: procedureFor("manage")
    .input(byKind.loose())
    .mutation(({ ctx, input }) => ctx.services.agents.update(ctx.caller, input.kind, input)),
  delete: procedureFor("manage")
    .input(byKind)
    .mutation(({ ctx, input }) => ctx.services.agents.delete(ctx.caller, input.kind)),
  /** Runs the agent alone on a prompt, as a task: model spend, so the "spend" tier like task.create. */
  try: procedureFor("execute", "spend")
    .input(byKind.extend(tryAgentInput.shape))
    .mutation(({ ctx, input }) => ctx.services.agents.try(ctx.caller, input.kind, { prompt: input.prompt })),
});
