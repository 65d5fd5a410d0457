import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { createMcpServerInput, mcpServerIdInput, updateMcpServerProcedureInput } from "@/server/mcp/mcp-server-schemas";

/** A team's MCP servers: the same use-cases as /api/v1/mcp-servers. */
export const mcpRouter = createTRPCRouter({
  list: procedureFor("read").query(({ ctx }) => ctx.services.mcpServers.list(ctx.caller)),
  get: procedureFor("read")
    .input(mcpServerIdInput)
    .query(({ ctx, input }) => ctx.services.mcpServers.get(ctx.caller, input.id)),
  create: procedureFor("manage")
    .input(createMcpServerInput)
    .mutation(({ ctx, input }) => ctx.services.mcpServers.create(ctx.caller, input)),
  update: procedureFor("manage")
    .input(updateMcpServerProcedureInput)
    .mutation(({ ctx, input: { id, ...changes } }) => ctx.services.mcpServers.update(ctx.caller, id, changes)),
  delete: procedureFor("manage")
    .input(mcpServerIdInput)
    .mutation(({ ctx, input }) => ctx.services.mcpServers.delete(ctx.caller, input.id)),
  refreshTools: procedureFor("manage")
    .input(mcpServerIdInput)
    .mutation(({ ctx, input }) => ctx.services.mcpServers.refreshTools(ctx.caller, input.id)),
  testConnection: procedureFor("manage")
    .input(mcpServerIdInput)
    .mutation(({ ctx, input }) => ctx.services.mcpServers.testConnection(ctx.caller, input.id)),
});
