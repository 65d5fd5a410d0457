import { createTRPCRouter } from "./trpc";
import { agentRouter } from "./routers/agent";
import { settingsRouter } from "./routers/settings";
import { mcpRouter } from "./routers/mcp";
import { taskRouter } from "./routers/task";

export const appRouter = createTRPCRouter({
  task: taskRouter,
  agent: agentRouter,
  settings: settingsRouter,
  mcp: mcpRouter,
});

export type AppRouter = typeof appRouter;
