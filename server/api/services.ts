import { approveTask, cancelTask, rejectTask, rerunTask } from "@/server/tasks/task-actions";
import { createTask, getTask, listTasks } from "@/server/tasks/tasks";
import { approveToolCall, denyToolCall } from "@/server/tasks/tool-call-decisions";
import { readToolApprovalSettings, updateToolApprovalSettings } from "@/server/teams/tool-approvals";
import { tryAgent } from "@/server/tasks/try-agent";
import {
  createAgentDefinition,
  deleteAgentDefinition,
  getAgentDefinition,
  listAgentDefinitions,
  listAgentVersions,
  updateAgentDefinition,
} from "@/server/teams/agent-definitions";
import { readFetchPolicy, updateFetchPolicy } from "@/server/web/fetch-policy";
import { readModelCacheSettings, updateModelCacheSettings } from "@/server/teams/model-cache-settings";
import { readBudgetSettings, updateBudgetSettings } from "@/server/teams/budget-settings";
import { summarizeTeamUsage } from "@/server/teams/usage-summary";
import { readTeamOverview } from "@/server/teams/team-overview";
import { listAuditEvents } from "@/server/teams/audit-log";
import {
  createMcpServer,
  deleteMcpServer,
  getMcpServer,
  listMcpServers,
  refreshMcpServerTools,
  testMcpServerConnection,
  updateMcpServer,
} from "@/server/mcp/mcp-servers";
import {
  createKnowledgeDocument,
  deleteKnowledgeDocument,
  getKnowledgeDocument,
  listKnowledgeDocuments,
  replaceKnowledgeDocument,
} from "@/server/knowledge/documents";
import { searchKnowledgeFor } from "@/server/knowledge/search";
import {
  createModelProvider,
  deleteModelProvider,
  getModelProvider,
  listModelProviders,
  readModelRouting,
  testModelProvider,
  updateModelProvider,
  updateModelRouting,
} from "@/server/teams/model-providers";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  readWebhookSettings,
  redeliverWebhook,
  rotateWebhookSecret,
  testWebhookEndpoint,
  updateWebhookEndpoint,
  updateWebhookSettings,
} from "@/server/webhooks/webhook-endpoints";

import { changeMemberRole, listMembers, removeMember } from "@/server/teams/members";
import { createInvitation, listInvitations, revokeInvitation } from "@/server/teams/invitations";
import { createTeamApiKey, listTeamApiKeys, revokeTeamApiKey } from "@/server/teams/team-api-keys";
import { listCallerTeams } from "@/server/auth/session-team";
import { readTeamStorage } from "@/server/teams/team-storage";
import {
  addCase,
  addCaseFromTask,
  createDataset,
  deleteCase,
  deleteDataset,
  getDataset,
  importCases,
  listDatasets,
  listVersions,
  updateCase,
  updateDataset,
} from "@/server/evals/datasets";
import { cancelExperiment, deleteExperiment, getExperiment, listExperiments, startExperiment } from "@/server/evals/experiments";
import { compareExperiments } from "@/server/evals/compare-experiments";

/**
 * What procedures reach data through, handed to them in the tRPC context as create-t3-app hands
 * its handlers `db`. In Chorus that is the services, not the queries: each use-case takes the
 * caller, checks the role, the team and the state, and calls server/db/queries — so a procedure
 * only wires input to a use-case. A test may build a context with others.
 */
export const chorusServices = {
  tasks: {
    create: createTask,
    get: getTask,
    list: listTasks,
    approve: approveTask,
    reject: rejectTask,
    cancel: cancelTask,
    rerun: rerunTask,
    approveToolCall,
    denyToolCall,
  },
  settings: {
    toolApprovals: readToolApprovalSettings,
    updateToolApprovals: updateToolApprovalSettings,
    fetchPolicy: readFetchPolicy,
    updateFetchPolicy,
    modelCache: readModelCacheSettings,
    updateModelCache: updateModelCacheSettings,
    budget: readBudgetSettings,
    updateBudget: updateBudgetSettings,
  },
  usage: {
    summary: summarizeTeamUsage,
  },
  storage: {
    summary: readTeamStorage,
  },
  overview: {
    read: readTeamOverview,
  },
  agents: {
    list: listAgentDefinitions,
    get: getAgentDefinition,
    versions: listAgentVersions,
    create: createAgentDefinition,
    update: updateAgentDefinition,
    delete: deleteAgentDefinition,
    try: tryAgent,
  },
  mcpServers: {
    list: listMcpServers,
    get: getMcpServer,
    create: createMcpServer,
    update: updateMcpServer,
    delete: deleteMcpServer,
    refreshTools: refreshMcpServerTools,
    testConnection: testMcpServerConnection,
  },
  models: {
    listProviders: listModelProviders,
    getProvider: getModelProvider,
    createProvider: createModelProvider,
    updateProvider: updateModelProvider,
    deleteProvider: deleteModelProvider,
    testProvider: testModelProvider,
    routing: readModelRouting,
    updateRouting: updateModelRouting,
  },
  audit: {
    list: listAuditEvents,
  },
  webhooks: {
    list: listWebhookEndpoints,
    get: getWebhookEndpoint,
    create: createWebhookEndpoint,
    update: updateWebhookEndpoint,
    delete: deleteWebhookEndpoint,
    rotateSecret: rotateWebhookSecret,
    test: testWebhookEndpoint,
    deliveries: listWebhookDeliveries,
    redeliver: redeliverWebhook,
    settings: readWebhookSettings,
    updateSettings: updateWebhookSettings,
  },
  knowledge: {
    list: listKnowledgeDocuments,
    get: getKnowledgeDocument,
    search: searchKnowledgeFor,
    create: createKnowledgeDocument,
    replace: replaceKnowledgeDocument,
    delete: deleteKnowledgeDocument,
  },
  members: {
    list: listMembers,
    updateRole: changeMemberRole,
    remove: removeMember,
  },
  invitations: {
    list: listInvitations,
    create: createInvitation,
    revoke: revokeInvitation,
  },
  apiKeys: {
    list: listTeamApiKeys,
    create: createTeamApiKey,
    revoke: revokeTeamApiKey,
  },
  teams: {
    list: listCallerTeams,
  },
  evalDatasets: {
    list: listDatasets,
    get: getDataset,
    versions: listVersions,
    create: createDataset,
    update: updateDataset,
    delete: deleteDataset,
    addCase,
    updateCase,
    deleteCase,
    import: importCases,
    addFromTask: addCaseFromTask,
  },
  evalExperiments: {
    list: listExperiments,
    get: getExperiment,
    start: startExperiment,
    cancel: cancelExperiment,
    delete: deleteExperiment,
    compare: compareExperiments,
  },
};

export type ChorusServices = typeof chorusServices;
