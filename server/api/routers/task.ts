import { z } from "zod";
import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { createTaskInput, listTasksInput } from "@/server/tasks/task-schemas";
import { createTask, getTask, listTasks } from "@/server/tasks/tasks";

export const taskRouter = createTRPCRouter({
  create: procedureFor("execute").input(createTaskInput).mutation(({ ctx, input }) => createTask(ctx.caller, input)),
  get: procedureFor("read").input(z.object({ id: z.string() })).query(({ ctx, input }) => getTask(ctx.caller, input.id)),
  list: procedureFor("read").input(listTasksInput.optional()).query(({ ctx, input }) => listTasks(ctx.caller, input ?? {})),
});
