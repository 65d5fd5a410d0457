import { z } from "zod";
import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { approveTaskInput, createTaskInput, listTasksInput, rejectTaskInput, rerunTaskInput } from "@/server/tasks/task-schemas";
import { createTask, getTask, listTasks } from "@/server/tasks/tasks";
import { approveTask, cancelTask, rejectTask, rerunTask } from "@/server/tasks/task-actions";

const byId = z.object({ id: z.string() });

export const taskRouter = createTRPCRouter({
  create: procedureFor("execute", "spend").input(createTaskInput).mutation(({ ctx, input }) => createTask(ctx.caller, input)),
  get: procedureFor("read").input(byId).query(({ ctx, input }) => getTask(ctx.caller, input.id)),
  list: procedureFor("read").input(listTasksInput.optional()).query(({ ctx, input }) => listTasks(ctx.caller, input ?? {})),
  approve: procedureFor("execute")
    .input(byId.extend(approveTaskInput.shape))
    .mutation(({ ctx, input: { id, ...rest } }) => approveTask(ctx.caller, id, rest)),
  reject: procedureFor("execute")
    .input(byId.extend(rejectTaskInput.shape))
    .mutation(({ ctx, input: { id, ...rest } }) => rejectTask(ctx.caller, id, rest)),
  cancel: procedureFor("execute").input(byId).mutation(({ ctx, input }) => cancelTask(ctx.caller, input.id)),
  rerun: procedureFor("execute", "spend")
    .input(byId.extend(rerunTaskInput.shape))
    .mutation(({ ctx, input: { id, ...rest } }) => rerunTask(ctx.caller, id, rest)),
});
