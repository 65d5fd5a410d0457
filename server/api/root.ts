import { createTRPCRouter } from "./trpc";
import { agentRouter } from "./routers/agent";
import { settingsRouter } from "./routers/settings";
import { mcpRouter } from "./routers/mcp";
import { knowledgeRouter } from "./routers/knowledge";
import { taskRouter } from "./routers/task";
import { modelsRouter } from "./routers/models";
import { usageRouter } from "./routers/usage";
import { auditRouter } from "./routers/audit";
import { webhooksRouter } from "./routers/webhooks";
import { membersRouter } from "./routers/members";
import { invitationsRouter } from "./routers/invitations";
import { apiKeysRouter } from "./routers/api-keys";
import { teamsRouter } from "./routers/teams";
import { storageRouter } from "./routers/storage";
import { overviewRouter } from "./routers/overview";
import { evalDatasetsRouter } from "./routers/eval-datasets";
import { evalExperimentsRouter } from "./routers/eval-experiments";

export const appRouter = createTRPCRouter({
  task: taskRouter,
  agent: agentRouter,
  settings: settingsRouter,
  mcp: mcpRouter,
  knowledge: knowledgeRouter,
  models: modelsRouter,
  usage: usageRouter,
  audit: auditRouter,
  webhooks: webhooksRouter,
  members: membersRouter,
  invitations: invitationsRouter,
  apiKeys: apiKeysRouter,
  teams: teamsRouter,
  storage: storageRouter,
  overview: overviewRouter,
  evalDatasets: evalDatasetsRouter,
  evalExperiments: evalExperimentsRouter,
});

export type AppRouter = typeof appRouter;
