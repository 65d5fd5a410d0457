import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { createInvitationInput, invitationIdInput } from "@/server/teams/invitations";

/**
 * The team's invitations: the same use-cases as /api/v1/invitations. Accepting is not here: it
 * is how a person gets into a team, so it is the invite page and the public REST route
 * (POST /api/v1/invitations/accept), not a procedure for a team's caller.
 */
export const invitationsRouter = createTRPCRouter({
  list: procedureFor("manage", "read").query(({ ctx }) => ctx.services.invitations.list(ctx.caller)),
  create: procedureFor("manage")
    .input(createInvitationInput)
    .mutation(({ ctx, input }) => ctx.services.invitations.create(ctx.caller, input)),
  revoke: procedureFor("manage")
    .input(invitationIdInput)
    .mutation(({ ctx, input }) => ctx.services.invitations.revoke(ctx.caller, input.id)),
});
