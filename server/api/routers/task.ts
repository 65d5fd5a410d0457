import { z } from "zod";
import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import {
  approveTaskInput,
  approveToolCallInput,
  createTaskInput,
  denyToolCallInput,
  listTasksInput,
  rejectTaskInput,
  rerunTaskInput,
} from "@/server/tasks/task-schemas";

const byId = z.object({ id: z.string() });
const byCall = byId.extend({ callId: z.string() });

export const taskRouter = createTRPCRouter({
  create: procedureFor("execute", "spend")
    .input(createTaskInput)
    .mutation(({ ctx, input }) => ctx.services.tasks.create(ctx.caller, input)),
  get: procedureFor("read")
    .input(byId)
    .query(({ ctx, input }) => ctx.services.tasks.get(ctx.caller, input.id)),
  list: procedureFor("read")
    .input(listTasksInput.optional())
    .query(({ ctx, input }) => ctx.services.tasks.list(ctx.caller, input ?? {})),
  approve: procedureFor("execute")
    .input(byId.extend(approveTaskInput.shape))
    .mutation(({ ctx, input: { id, ...rest } }) => ctx.services.tasks.approve(ctx.caller, id, rest)),
  reject: procedureFor("execute")
    .input(byId.extend(rejectTaskInput.shape))
    .mutation(({ ctx, input: { id, ...rest } }) => ctx.services.tasks.reject(ctx.caller, id, rest)),
  cancel: procedureFor("execute")
    .input(byId)
    .mutation(({ ctx, input }) => ctx.services.tasks.cancel(ctx.caller, input.id)),
  rerun: procedureFor("execute", "spend")
    .input(byId.extend(rerunTaskInput.shape))
    .mutation(({ ctx, input: { id, ...rest } }) => ctx.services.tasks.rerun(ctx.caller, id, rest)),
  approveToolCall: procedureFor("execute")
    .input(byCall.extend(approveToolCallInput.shape))
    .mutation(({ ctx, input: { id, callId, ...rest } }) => ctx.services.tasks.approveToolCall(ctx.caller, id, callId, rest)),
  denyToolCall: procedureFor("execute")
    .input(byCall.extend(denyToolCallInput.shape))
    .mutation(({ ctx, input: { id, callId, ...rest } }) => ctx.services.tasks.denyToolCall(ctx.caller, id, callId, rest)),
});
