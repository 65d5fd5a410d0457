import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { memberIdInput, memberRoleInput } from "@/server/teams/members";

/** The team's members: the same use-cases as /api/v1/members. */
export const membersRouter = createTRPCRouter({
  list: procedureFor("read").query(({ ctx }) => ctx.services.members.list(ctx.caller)),
  updateRole: procedureFor("manage")
    .input(memberIdInput.extend(memberRoleInput.shape))
    .mutation(({ ctx, input: { userId, ...change } }) => ctx.services.members.updateRole(ctx.caller, userId, change)),
  remove: procedureFor("manage")
    .input(memberIdInput)
    .mutation(({ ctx, input }) => ctx.services.members.remove(ctx.caller, input.userId)),
});
