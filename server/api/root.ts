import { createTRPCRouter } from "./trpc";
import { agentRouter } from "./routers/agent";
import { knowledgeRouter } from "./routers/knowledge";
import { taskRouter } from "./routers/task";

export const appRouter = createTRPCRouter({
  task: taskRouter,
  agent: agentRouter,
  knowledge: knowledgeRouter,
});

export type AppRouter = typeof appRouter;
