import { createTRPCRouter } from "./trpc";
import { agentRouter } from "./routers/agent";
import { settingsRouter } from "./routers/settings";
import { taskRouter } from "./routers/task";

export const appRouter = createTRPCRouter({
  task: taskRouter,
  agent: agentRouter,
  settings: settingsRouter,
});

export type AppRouter = typeof appRouter;
