import { createTRPCRouter, procedureFor } from "@/server/api/trpc";

/**
 * The teams the caller can work in, as GET /api/v1/teams. Switching is not a procedure: it
 * re-issues the session cookie, which PUT /api/v1/session/team does.
 */
export const teamsRouter = createTRPCRouter({
  list: procedureFor("read").query(({ ctx }) => ctx.services.teams.list(ctx.caller)),
});
