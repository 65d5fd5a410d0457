import { createTRPCRouter } from "./trpc";
import { agentRouter } from "./routers/agent";
import { taskRouter } from "./routers/task";

export const appRouter = createTRPCRouter({
  task: taskRouter,
  agent: agentRouter,
});

export type AppRouter = typeof appRouter;
