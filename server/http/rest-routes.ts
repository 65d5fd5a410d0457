import { z } from "zod";
import type { RateLimitTier } from "@/server/rate-limit";
import { agentDefinitionFieldsSchema, customAgentDefinitionSchema } from "@/server/agents";
import type { Caller } from "@/server/auth/caller";
import type { Permission } from "@/server/auth/permissions";
import type { ErrorBody } from "@/server/errors";
import { taskEventStream } from "@/server/events/event-stream";
import { checkHealth } from "@/server/db/health";
import { metricsResponse } from "./metrics-endpoint";
import { checkReadiness } from "./readiness";
import { buildOpenApiDocument, deletedView } from "./openapi-document";
import { taskPageView, taskView } from "@/server/tasks/task-view-schemas";
import {
  agentDetailView,
  agentListView,
  agentVersionListView,
  teamAgentDefinitionView,
  updatedTeamAgentView,
} from "@/server/teams/agent-definition-views";
// The answers' shapes, for the OpenAPI document.
import { budgetSettingsView } from "@/server/teams/budget-settings";
import { fetchPolicyView } from "@/server/web/fetch-policy";
import { modelCacheSettingsView } from "@/server/teams/model-cache-settings";
import { toolApprovalSettingsView } from "@/server/teams/tool-approvals";
import { usageSummaryView } from "@/server/teams/usage-summary";
import {
  knowledgeDocumentPageView,
  knowledgeDocumentSummaryView,
  knowledgeDocumentView,
  knowledgeFileFields,
  knowledgeSearchView,
} from "@/server/knowledge/knowledge-schemas";
import { approveTask, cancelTask, rejectTask, rerunTask } from "@/server/tasks/task-actions";
import {
  approveTaskInput,
  approveToolCallInput,
  createTaskInput,
  denyToolCallInput,
  listTasksInput,
  teamEventsQuery,
  rejectTaskInput,
  rerunTaskInput,
} from "@/server/tasks/task-schemas";
import { approveToolCall, denyToolCall } from "@/server/tasks/tool-call-decisions";
import { readToolApprovalSettings, toolApprovalSettingsInput, updateToolApprovalSettings } from "@/server/teams/tool-approvals";
import { assertTaskInTeam, createTask, getTask, listTasks, openTeamTaskStream } from "@/server/tasks/tasks";
import { tryAgent, tryAgentInput } from "@/server/tasks/try-agent";
import {
  createAgentDefinition,
  deleteAgentDefinition,
  getAgentDefinition,
  listAgentDefinitions,
  listAgentVersions,
  updateAgentDefinition,
} from "@/server/teams/agent-definitions";
import { fetchPolicyInput, readFetchPolicy, updateFetchPolicy } from "@/server/web/fetch-policy";
import { modelCacheSettingsInput, readModelCacheSettings, updateModelCacheSettings } from "@/server/teams/model-cache-settings";
import { budgetSettingsInput, readBudgetSettings, updateBudgetSettings } from "@/server/teams/budget-settings";
import { summarizeTeamUsage, usageSummaryInput } from "@/server/teams/usage-summary";
import { readTeamOverview, teamOverviewInput, teamOverviewView } from "@/server/teams/team-overview";
import { createMcpServerInput, updateMcpServerInput } from "@/server/mcp/mcp-server-schemas";
import {
  createMcpServer,
  deleteMcpServer,
  getMcpServer,
  listMcpServers,
  refreshMcpServerTools,
  testMcpServerConnection,
  updateMcpServer,
} from "@/server/mcp/mcp-servers";
import { getEnv } from "@/server/env";
import { createChatCompletion } from "@/server/openai-compat/chat-completions";
import { chatCompletionInput } from "@/server/openai-compat/chat-completion-input";
import { listOpenAiModels } from "@/server/openai-compat/models";
import { openAiErrorBody } from "@/server/openai-compat/openai-errors";
import { answerMcpRequest, mcpMessageInput } from "@/server/chorus-mcp/mcp-endpoint";
import {
  createKnowledgeDocument,
  deleteKnowledgeDocument,
  getKnowledgeDocument,
  listKnowledgeDocuments,
  replaceKnowledgeDocument,
  type DocumentSource,
} from "@/server/knowledge/documents";
import { getKnowledgeInput, knowledgeTextInput, listKnowledgeInput, searchKnowledgeInput } from "@/server/knowledge/knowledge-schemas";
import { searchKnowledgeFor } from "@/server/knowledge/search";
import { modelRoutingSchema } from "@/server/llm/model-routing";
import { exportAuditEvents, exportAuditInput, listAuditEvents, listAuditInput } from "@/server/teams/audit-log";
import { createModelProviderInput, updateModelProviderInput } from "@/server/teams/model-provider-schemas";
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
import { createWebhookInput, listDeliveriesQuery, updateWebhookInput, webhookSettingsInput } from "@/server/webhooks/webhook-schemas";
import { changeMemberRole, listMembers, memberRoleInput, removeMember } from "@/server/teams/members";
import { readTeamStorage, teamStorageQuery, teamStorageView } from "@/server/teams/team-storage";
import {
  acceptInvitationByToken,
  acceptInvitationInput,
  createInvitation,
  createInvitationInput,
  listInvitations,
  revokeInvitation,
} from "@/server/teams/invitations";
import { createApiKeyInput, createTeamApiKey, listTeamApiKeys, revokeTeamApiKey } from "@/server/teams/team-api-keys";
import { listCallerTeams, switchSessionTeam, switchTeamInput } from "@/server/auth/session-team";
import { sessionCaller } from "@/server/auth/session-caller";
import { AppError } from "@/server/errors";
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
import { importInputOf, type ImportSource } from "@/server/evals/dataset-import";
import {
  caseFromTaskInput,
  createDatasetInput,
  datasetSummaryView,
  datasetVersionView,
  datasetView,
  evalCaseInput,
  importCasesInput,
  updateDatasetInput,
  comparisonView,
  experimentSummaryView,
  experimentView,
  startExperimentInput,
} from "@/server/evals/eval-schemas";
import { cancelExperiment, deleteExperiment, getExperiment, listExperiments, startExperiment } from "@/server/evals/experiments";
import { compareExperiments } from "@/server/evals/compare-experiments";
import { compareExperimentsInput, listExperimentsInput } from "@/server/evals/experiment-inputs";
import { publicOrigin } from "./public-origin";
import { assertSameOriginMutation } from "./same-origin";

/**
 * Every REST endpoint, as data: method, path, the permission the caller's role must grant, the
 * rate-limit tier it counts against, whether it takes a JSON body, and its handler. The router
 * (rest-router.ts) does the rest the same way for all of them — authenticate, check the
 * permission, refuse cross-site browser writes, count the request, read the body within its cap,
 * answer JSON — so a new endpoint is protected by being listed here, and tests enumerate this
 * table to check every endpoint's isolation.
 */

export interface RouteInput {
  caller: Caller;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: Headers;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

export type RouteResult =
  | { status?: number; json: unknown; headers?: Record<string, string> }
  | { eventStream: ReadableStream<Uint8Array>; headers?: Record<string, string> }
  /** An answer a library built as a web-standard Response (the MCP SDK's transport): its status, headers and body as they are. */
  | { webResponse: Response }
  /** A file streamed as it is produced (an export), saved by a browser under `filename`. */
  | { download: ReadableStream<Uint8Array>; contentType: string; filename: string };

export interface RestRoute {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** `:name` segments are parameters. */
  path: string;
  /** What the caller's role must allow; `public` routes authenticate no one. */
  permission: Permission | "public";
  rateLimit?: RateLimitTier;
  /** Reads a JSON body (within the cap) for the handler; other routes ignore theirs. */
  body?: true;
  /**
   * Takes an upload instead: a multipart/form-data form (allowed from a signed-in browser on the
   * same origin) or JSON, read within `maxFileBytes` plus the form's envelope (upload-body.ts);
   * the handler's body is a DocumentSource.
   */
  upload?: {
    maxFileBytes: () => number;
    /** The form's fields besides `file`, for the OpenAPI document. */
    fields?: z.ZodType;
  };
  /** The schema the handler's service validates the body (or the query) with: for docs and generated tests. */
  input?: z.ZodType;
  query?: z.ZodType;
  /** The success answer's shape, for the OpenAPI document (openapi-document.ts); without one it says "a JSON object". */
  output?: z.ZodType;
  /** The success status when it is not 200 (a 201 for what creates something), for the OpenAPI document. */
  successStatus?: 201;
  /** Answers `text/event-stream` (Server-Sent Events), for the OpenAPI document. */
  eventStream?: true;
  /** An older path kept for existing clients (documented as deprecated). */
  deprecated?: true;
  summary: string;
  /**
   * The error body this route answers with instead of Chorus's `{ error: { code, message, field } }`,
   * for a protocol whose clients expect their own (the OpenAI-compatible routes); any refusal on
   * the way — authentication, permission, rate limit, body — is shaped by it too.
   */
  errorBody?: (status: number, body: ErrorBody) => unknown;
  handle(input: RouteInput): Promise<RouteResult>;
}

/** Where a task's event stream resumes (a Last-Event-ID header wins; anything not a sequence number starts from the beginning). */
const eventStreamQuery = z.object({
  after: z
    .string()
    .regex(/^\d+$/)
    .optional()
    .meta({ description: "The sequence number of the last event already seen: the stream starts after it" }),
});

/** A task's event stream, at its versioned path and its first one: resumes after Last-Event-ID, else ?after=, else from the start. */
async function serveTaskEvents({ caller, params, headers, query, signal }: RouteInput): Promise<RouteResult> {
  const taskId = await assertTaskInTeam(caller, params.id);
  const resumeFrom = headers.get("last-event-id") ?? query.get("after") ?? "0";
  const afterSeq = Number.isInteger(Number(resumeFrom)) && Number(resumeFrom) >= 0 ? Number(resumeFrom) : 0;
  return { eventStream: taskEventStream(taskId, afterSeq, signal) };
}

/** Built once per process, on first request: the table does not change while it runs. */
let document: ReturnType<typeof buildOpenApiDocument> | undefined;
const openApiDocument = () => (document ??= buildOpenApiDocument(restRoutes, { version: "1" }));

/** A query string as an object, a repeated parameter as the list of its values. */
function queryWithLists(query: URLSearchParams): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const all = query.getAll(key);
    values[key] = all.length > 1 ? all : all[0]!;
  }
  return values;
}

/** Evals' experiment answers, named in the OpenAPI document. */
const experimentListDoc = z.array(experimentSummaryView).meta({ id: "EvalExperimentList" });
const experimentDoc = experimentView.meta({ id: "EvalExperiment" });
const comparisonDoc = comparisonView.meta({ id: "EvalComparison" });

const json = (value: unknown, status = 200, headers?: Record<string, string>): RouteResult => ({ status, json: value, headers });
const created = (task: { id: string }): RouteResult => json(task, 201, { Location: `/api/v1/tasks/${task.id}` });
/** A dataset at the version an edit wrote: 201, Location the dataset at that version. */
const datasetVersionCreated = (dataset: { id: string; version: number }): RouteResult =>
  json(dataset, 201, { Location: `/api/v1/evals/datasets/${dataset.id}?version=${dataset.version}` });
// The evals views as named components of the OpenAPI document.
const evalDatasetListView = z.array(datasetSummaryView).meta({ id: "EvalDatasetList" });
const evalDatasetView = datasetView.meta({ id: "EvalDataset" });
const evalDatasetVersionListView = z.array(datasetVersionView).meta({ id: "EvalDatasetVersionList" });
const datasetQuery = z.object({
  name: z.string().optional().meta({ description: "A dataset's exact name: the list holds it alone (or nothing)" }),
});
const datasetVersionQuery = z.object({
  version: z.string().regex(/^\d+$/).optional().meta({ description: "A version number; the latest when absent" }),
});
const datasetImportUpload = {
  maxFileBytes: () => 10 * 1024 * 1024,
  fields: z.object({
    format: z.enum(["jsonl", "csv"]).optional().meta({ description: "jsonl or csv; taken from the file's extension when absent" }),
    mode: z.enum(["append", "replace"]).optional(),
  }),
};
const knowledgeUpload = { maxFileBytes: () => getEnv().CHORUS_KNOWLEDGE_MAX_UPLOAD_BYTES, fields: knowledgeFileFields };

export const restRoutes: readonly RestRoute[] = [
  {
    method: "POST",
    path: "/api/v1/tasks",
    permission: "execute",
    rateLimit: "spend",
    body: true,
    input: createTaskInput,
    output: taskView,
    summary: "Submit a task",
    successStatus: 201,
    handle: async ({ caller, body }) => created(await createTask(caller, body)),
  },
  {
    method: "GET",
    path: "/api/v1/tasks",
    permission: "read",
    rateLimit: "read",
    query: listTasksInput,
    output: taskPageView,
    summary: "The team's tasks, newest first",
    // Repeated parameters (status=queued&status=running) as lists.
    handle: async ({ caller, query }) => json(await listTasks(caller, queryWithLists(query))),
  },
  {
    method: "GET",
    path: "/api/v1/tasks/:id",
    permission: "read",
    rateLimit: "read",
    output: taskView,
    summary: "A task: status, plan, executions, usage and result",
    handle: async ({ caller, params }) => json(await getTask(caller, params.id)),
  },
  {
    method: "POST",
    path: "/api/v1/tasks/:id/approve",
    permission: "execute",
    rateLimit: "write",
    body: true,
    input: approveTaskInput,
    output: taskView,
    summary: "Approve a plan awaiting approval, optionally edited",
    handle: async ({ caller, params, body }) => json(await approveTask(caller, params.id!, body)),
  },
  {
    method: "POST",
    path: "/api/v1/tasks/:id/reject",
    permission: "execute",
    rateLimit: "write",
    body: true,
    input: rejectTaskInput,
    output: taskView,
    summary: "Reject a plan awaiting approval",
    handle: async ({ caller, params, body }) => json(await rejectTask(caller, params.id!, body)),
  },
  {
    method: "POST",
    path: "/api/v1/tasks/:id/cancel",
    permission: "execute",
    rateLimit: "write",
    output: taskView,
    summary: "Cancel a queued, running or waiting task",
    handle: async ({ caller, params }) => json(await cancelTask(caller, params.id!)),
  },
  {
    method: "POST",
    path: "/api/v1/tasks/:id/rerun",
    permission: "execute",
    rateLimit: "spend",
    body: true,
    input: rerunTaskInput,
    output: taskView,
    summary: "Rerun a finished task from one of its steps",
    successStatus: 201,
    handle: async ({ caller, params, body }) => created(await rerunTask(caller, params.id!, body)),
  },
  {
    method: "POST",
    path: "/api/v1/tasks/:id/tool-calls/:callId/approve",
    permission: "execute",
    rateLimit: "write",
    body: true,
    input: approveToolCallInput,
    summary: "Approve a tool call an agent is waiting on, optionally with edited input",
    handle: async ({ caller, params, body }) => json(await approveToolCall(caller, params.id!, params.callId!, body)),
  },
  {
    method: "POST",
    path: "/api/v1/tasks/:id/tool-calls/:callId/deny",
    permission: "execute",
    rateLimit: "write",
    body: true,
    input: denyToolCallInput,
    summary: "Deny a tool call an agent is waiting on; the agent carries on without it",
    handle: async ({ caller, params, body }) => json(await denyToolCall(caller, params.id!, params.callId!, body)),
  },
  {
    method: "GET",
    path: "/api/v1/settings/model-cache",
    permission: "read",
    rateLimit: "read",
    output: modelCacheSettingsView,
    summary: "Whether identical model calls of the team are answered from the response cache, and for how long",
    handle: async ({ caller }) => json(await readModelCacheSettings(caller)),
  },
  {
    method: "PUT",
    path: "/api/v1/settings/model-cache",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: modelCacheSettingsInput,
    output: modelCacheSettingsView,
    summary: "Switch the team's response cache on or off",
    handle: async ({ caller, body }) => json(await updateModelCacheSettings(caller, body)),
  },
  {
    method: "GET",
    path: "/api/v1/settings/budget",
    permission: "read",
    rateLimit: "read",
    output: budgetSettingsView,
    summary: "The team's monthly model budget (null: none) and what its model calls spent this month",
    handle: async ({ caller }) => json(await readBudgetSettings(caller)),
  },
  {
    method: "PUT",
    path: "/api/v1/settings/budget",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: budgetSettingsInput,
    output: budgetSettingsView,
    summary: "Set the team's monthly model budget in USD, or null for none",
    handle: async ({ caller, body }) => json(await updateBudgetSettings(caller, body)),
  },
  {
    method: "GET",
    path: "/api/v1/usage",
    permission: "read",
    rateLimit: "read",
    query: usageSummaryInput,
    output: usageSummaryView,
    summary: "What the team's model calls spent over a period (default the last 30 days), per day, model, agent or member",
    handle: async ({ caller, query }) => json(await summarizeTeamUsage(caller, Object.fromEntries(query))),
  },
  {
    method: "GET",
    path: "/api/v1/overview",
    permission: "read",
    rateLimit: "read",
    query: teamOverviewInput,
    output: teamOverviewView,
    summary:
      "The team's overview for the last N UTC days: tasks per day by status, p50/p95 duration per agent kind, tokens, cost and cache hits per day",
    handle: async ({ caller, query }) => json(await readTeamOverview(caller, Object.fromEntries(query))),
  },
  {
    method: "GET",
    path: "/api/v1/settings/tool-approvals",
    permission: "read",
    rateLimit: "read",
    output: toolApprovalSettingsView,
    summary: "Which built-in tools wait for a member's approval before each call",
    handle: async ({ caller }) => json(await readToolApprovalSettings(caller)),
  },
  {
    method: "PUT",
    path: "/api/v1/settings/tool-approvals",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: toolApprovalSettingsInput,
    output: toolApprovalSettingsView,
    summary: "Choose which built-in tools wait for a member's approval",
    handle: async ({ caller, body }) => json(await updateToolApprovalSettings(caller, body)),
  },
  {
    method: "GET",
    path: "/api/v1/agents",
    permission: "read",
    rateLimit: "read",
    output: agentListView,
    summary: "Built-in and team-defined agents",
    handle: async ({ caller }) => json(await listAgentDefinitions(caller)),
  },
  {
    method: "POST",
    path: "/api/v1/agents",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: customAgentDefinitionSchema,
    output: teamAgentDefinitionView,
    summary: "Define a team agent",
    successStatus: 201,
    handle: async ({ caller, body }) => json(await createAgentDefinition(caller, body), 201),
  },
  {
    method: "GET",
    path: "/api/v1/agents/:kind",
    permission: "read",
    rateLimit: "read",
    output: agentDetailView,
    summary: "An agent; a team agent with its current version",
    handle: async ({ caller, params }) => json(await getAgentDefinition(caller, params.kind)),
  },
  {
    method: "PUT",
    path: "/api/v1/agents/:kind",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: agentDefinitionFieldsSchema,
    output: updatedTeamAgentView,
    summary: "Edit a team agent: writes a new version (none when nothing changed)",
    handle: async ({ caller, params, body }) => json(await updateAgentDefinition(caller, params.kind, body)),
  },
  {
    method: "GET",
    path: "/api/v1/agents/:kind/versions",
    permission: "read",
    rateLimit: "read",
    output: agentVersionListView,
    summary: "A team agent's versions, newest first",
    handle: async ({ caller, params }) => json(await listAgentVersions(caller, params.kind)),
  },
  {
    method: "POST",
    path: "/api/v1/agents/:kind/try",
    permission: "execute",
    rateLimit: "spend",
    body: true,
    input: tryAgentInput,
    output: taskView,
    summary: "Try an agent: a task that runs it alone on a prompt",
    successStatus: 201,
    handle: async ({ caller, params, body }) => created(await tryAgent(caller, params.kind, body)),
  },
  {
    method: "DELETE",
    path: "/api/v1/agents/:kind",
    permission: "manage",
    rateLimit: "write",
    output: deletedView,
    summary: "Remove a team agent",
    handle: async ({ caller, params }) => json(await deleteAgentDefinition(caller, params.kind!)),
  },
  {
    method: "POST",
    path: "/api/v1/knowledge",
    permission: "write",
    rateLimit: "write",
    upload: knowledgeUpload,
    input: knowledgeTextInput,
    output: knowledgeDocumentSummaryView,
    summary:
      "Add a document to the team's knowledge base: multipart (`file`, optional `title`, `language`) or JSON {title, text, language?}",
    successStatus: 201,
    handle: async ({ caller, body }) => {
      const document = await createKnowledgeDocument(caller, body as DocumentSource);
      return json(document, 201, { Location: `/api/v1/knowledge/${document.id}` });
    },
  },
  {
    method: "GET",
    path: "/api/v1/knowledge",
    permission: "read",
    rateLimit: "read",
    query: listKnowledgeInput,
    output: knowledgeDocumentPageView,
    summary: "The team's knowledge-base documents, newest first (limit, offset)",
    handle: async ({ caller, query }) => json(await listKnowledgeDocuments(caller, Object.fromEntries(query))),
  },
  {
    method: "GET",
    path: "/api/v1/knowledge/search",
    permission: "read",
    rateLimit: "read",
    query: searchKnowledgeInput,
    output: knowledgeSearchView,
    summary: "Search the team's knowledge base: ranked passages with snippets (q, limit)",
    handle: async ({ caller, query }) => json(await searchKnowledgeFor(caller, Object.fromEntries(query))),
  },
  {
    method: "GET",
    path: "/api/v1/knowledge/:id",
    permission: "read",
    rateLimit: "read",
    query: getKnowledgeInput,
    output: knowledgeDocumentView,
    summary: "A knowledge-base document: metadata and text (and its chunks with ?chunks=true)",
    handle: async ({ caller, params, query }) => json(await getKnowledgeDocument(caller, params.id!, Object.fromEntries(query))),
  },
  {
    method: "PUT",
    path: "/api/v1/knowledge/:id",
    permission: "write",
    rateLimit: "write",
    upload: knowledgeUpload,
    input: knowledgeTextInput,
    output: knowledgeDocumentSummaryView,
    summary: "Replace a document's content (same id; its chunks are swapped atomically): multipart or JSON, as for adding",
    handle: async ({ caller, params, body }) => json(await replaceKnowledgeDocument(caller, params.id!, body as DocumentSource)),
  },
  {
    method: "DELETE",
    path: "/api/v1/knowledge/:id",
    permission: "write",
    rateLimit: "write",
    output: deletedView,
    summary: "Delete a document and its chunks",
    handle: async ({ caller, params }) => json(await deleteKnowledgeDocument(caller, params.id!)),
  },
  {
    method: "GET",
    path: "/api/v1/settings/fetch-policy",
    permission: "read",
    rateLimit: "read",
    output: fetchPolicyView,
    summary: "The team's fetch policy: hosts and networks the fetch_url tool may (allow) or must never (deny) reach",
    handle: async ({ caller }) => json(await readFetchPolicy(caller)),
  },
  {
    method: "PUT",
    path: "/api/v1/settings/fetch-policy",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: fetchPolicyInput,
    output: fetchPolicyView,
    summary: "Replace the team's fetch policy (host names, *.wildcards, IP addresses and CIDRs; at most 200 entries)",
    handle: async ({ caller, body }) => json(await updateFetchPolicy(caller, body)),
  },
  {
    method: "GET",
    path: "/api/v1/mcp-servers",
    permission: "read",
    rateLimit: "read",
    summary: "The team's MCP servers (header names only, never their values)",
    handle: async ({ caller }) => json(await listMcpServers(caller)),
  },
  {
    method: "POST",
    path: "/api/v1/mcp-servers",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: createMcpServerInput,
    summary: "Register an MCP server (Streamable HTTP, or stdio where the instance allows it)",
    successStatus: 201,
    handle: async ({ caller, body }) => {
      const server = await createMcpServer(caller, body);
      return json(server, 201, { Location: `/api/v1/mcp-servers/${server.id}` });
    },
  },
  {
    method: "GET",
    path: "/api/v1/mcp-servers/:id",
    permission: "read",
    rateLimit: "read",
    summary: "An MCP server with its tool catalog and per-tool settings",
    handle: async ({ caller, params }) => json(await getMcpServer(caller, params.id!)),
  },
  {
    method: "PUT",
    path: "/api/v1/mcp-servers/:id",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: updateMcpServerInput,
    summary: "Change an MCP server: each field given replaces the stored one (headers: all of them)",
    handle: async ({ caller, params, body }) => json(await updateMcpServer(caller, params.id!, body)),
  },
  {
    method: "DELETE",
    path: "/api/v1/mcp-servers/:id",
    permission: "manage",
    rateLimit: "write",
    output: deletedView,
    summary: "Remove an MCP server",
    handle: async ({ caller, params }) => json(await deleteMcpServer(caller, params.id!)),
  },
  {
    method: "POST",
    path: "/api/v1/mcp-servers/:id/refresh",
    permission: "manage",
    rateLimit: "write",
    summary: "List the server's tools now and store them as its catalog (503 naming why when it cannot be reached)",
    handle: async ({ caller, params }) => json(await refreshMcpServerTools(caller, params.id!)),
  },
  {
    method: "POST",
    path: "/api/v1/mcp-servers/:id/test",
    permission: "manage",
    rateLimit: "write",
    summary: "Check that Chorus can connect to the server and list its tools, changing nothing",
    handle: async ({ caller, params }) => json(await testMcpServerConnection(caller, params.id!)),
  },
  {
    method: "GET",
    path: "/api/v1/model-providers",
    permission: "read",
    rateLimit: "read",
    summary: "The team's model providers (a key only as its last four characters)",
    handle: async ({ caller }) => json(await listModelProviders(caller)),
  },
  {
    method: "POST",
    path: "/api/v1/model-providers",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: createModelProviderInput,
    summary: "Add a model provider (OpenAI, Anthropic or OpenAI-compatible) with its API key, stored encrypted",
    successStatus: 201,
    handle: async ({ caller, body }) => {
      const provider = await createModelProvider(caller, body);
      return json(provider, 201, { Location: `/api/v1/model-providers/${provider.id}` });
    },
  },
  {
    method: "GET",
    path: "/api/v1/model-providers/:id",
    permission: "read",
    rateLimit: "read",
    summary: "A model provider (a key only as its last four characters)",
    handle: async ({ caller, params }) => json(await getModelProvider(caller, params.id!)),
  },
  {
    method: "PUT",
    path: "/api/v1/model-providers/:id",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: updateModelProviderInput,
    summary: "Change a model provider: each field given replaces the stored one (apiKey null removes the key)",
    handle: async ({ caller, params, body }) => json(await updateModelProvider(caller, params.id!, body)),
  },
  {
    method: "DELETE",
    path: "/api/v1/model-providers/:id",
    permission: "manage",
    rateLimit: "write",
    output: deletedView,
    summary: "Remove a model provider and every route to it",
    handle: async ({ caller, params }) => json(await deleteModelProvider(caller, params.id!)),
  },
  {
    method: "POST",
    path: "/api/v1/model-providers/:id/test",
    permission: "manage",
    rateLimit: "write",
    summary: "Check the provider's key by listing its models: ok with a few model ids, or why not",
    handle: async ({ caller, params }) => json(await testModelProvider(caller, params.id!)),
  },
  {
    method: "GET",
    path: "/api/v1/settings/models",
    permission: "read",
    rateLimit: "read",
    summary: "Which models serve the planner, the aggregator, each agent kind and the team default, in fallback order",
    handle: async ({ caller }) => json(await readModelRouting(caller)),
  },
  {
    method: "PUT",
    path: "/api/v1/settings/models",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: modelRoutingSchema,
    summary: "Replace the team's model routing (each chain: 1 to 5 provider + model, the first serves, the rest are fallbacks)",
    handle: async ({ caller, body }) => json(await updateModelRouting(caller, body)),
  },
  {
    method: "POST",
    path: "/api/v1/chat/completions",
    permission: "execute",
    rateLimit: "spend",
    body: true,
    input: chatCompletionInput,
    errorBody: openAiErrorBody,
    summary:
      "OpenAI-compatible chat completion: the conversation becomes a task of model `chorus` (the coordinator) or of one agent kind; streams with `stream: true` (docs/openai-compatible.md)",
    handle: async ({ caller, body, signal }) => {
      const answer = await createChatCompletion(caller, body, signal);
      return answer.kind === "json" ? json(answer.body, 200, answer.headers) : { eventStream: answer.stream, headers: answer.headers };
    },
  },
  {
    method: "GET",
    path: "/api/v1/models",
    permission: "read",
    rateLimit: "read",
    errorBody: openAiErrorBody,
    summary: "OpenAI-compatible model list: `chorus` and the team's agent kinds",
    handle: async ({ caller }) => json(await listOpenAiModels(caller)),
  },
  {
    method: "POST",
    path: "/api/v1/mcp",
    permission: "read",
    rateLimit: "write",
    body: true,
    input: mcpMessageInput,
    summary:
      "Chorus as an MCP server (Streamable HTTP, stateless): tools run_task, get_task and list_tasks, each checked against the key's role (docs/mcp-server.md)",
    handle: async ({ caller, body, headers, signal }) => ({ webResponse: await answerMcpRequest(caller, { body, headers, signal }) }),
  },
  {
    method: "GET",
    path: "/api/v1/audit",
    permission: "manage",
    rateLimit: "read",
    query: listAuditInput,
    summary:
      "The team's audit log, newest first (admins): filter by actor, action (or its prefix), targetType/targetId, from/to; page with cursor",
    handle: async ({ caller, query }) => json(await listAuditEvents(caller, Object.fromEntries(query))),
  },
  {
    method: "GET",
    path: "/api/v1/audit/export",
    permission: "manage",
    rateLimit: "read",
    query: exportAuditInput,
    summary: "The team's audit log as a streamed file, format=csv or jsonl, with the same filters (admins)",
    handle: async ({ caller, query }) => {
      const file = await exportAuditEvents(caller, Object.fromEntries(query));
      return { download: file.body, contentType: file.contentType, filename: file.filename };
    },
  },
  {
    method: "GET",
    path: "/api/v1/webhooks",
    permission: "manage",
    rateLimit: "read",
    summary: "The team's webhook endpoints (never their signing secrets)",
    handle: async ({ caller }) => json(await listWebhookEndpoints(caller)),
  },
  {
    method: "POST",
    path: "/api/v1/webhooks",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: createWebhookInput,
    summary: "Register a webhook endpoint; the answer holds its signing secret (whsec_…), shown this once",
    handle: async ({ caller, body }) => {
      const created = await createWebhookEndpoint(caller, body);
      return json(created, 201, { Location: `/api/v1/webhooks/${created.endpoint.id}` });
    },
  },
  {
    method: "GET",
    path: "/api/v1/webhooks/:id",
    permission: "manage",
    rateLimit: "read",
    summary: "A webhook endpoint",
    handle: async ({ caller, params }) => json(await getWebhookEndpoint(caller, params.id!)),
  },
  {
    method: "PUT",
    path: "/api/v1/webhooks/:id",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: updateWebhookInput,
    summary: "Change a webhook endpoint (URL, description, events, enabled): each field given replaces the stored one",
    handle: async ({ caller, params, body }) => json(await updateWebhookEndpoint(caller, params.id!, body)),
  },
  {
    method: "DELETE",
    path: "/api/v1/webhooks/:id",
    permission: "manage",
    rateLimit: "write",
    summary: "Remove a webhook endpoint and its deliveries",
    handle: async ({ caller, params }) => json(await deleteWebhookEndpoint(caller, params.id!)),
  },
  {
    method: "POST",
    path: "/api/v1/webhooks/:id/rotate-secret",
    permission: "manage",
    rateLimit: "write",
    summary: "Replace the endpoint's signing secret; the answer holds the new one, shown this once",
    handle: async ({ caller, params }) => json(await rotateWebhookSecret(caller, params.id!)),
  },
  {
    method: "POST",
    path: "/api/v1/webhooks/:id/test",
    permission: "manage",
    rateLimit: "write",
    summary: "Send a webhook.test event to the endpoint now and answer with the delivery (status, response code, duration, excerpt)",
    handle: async ({ caller, params }) => json(await testWebhookEndpoint(caller, params.id!)),
  },
  {
    method: "GET",
    path: "/api/v1/webhooks/:id/deliveries",
    permission: "manage",
    rateLimit: "read",
    query: listDeliveriesQuery,
    summary:
      "The endpoint's latest deliveries, newest first (?limit=, at most 100): status, response code, duration, excerpt, attempts, next attempt",
    handle: async ({ caller, params, query }) => json(await listWebhookDeliveries(caller, params.id!, Object.fromEntries(query))),
  },
  {
    method: "POST",
    path: "/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver",
    permission: "manage",
    rateLimit: "write",
    summary: "Send a finished delivery again (same webhook-id), with retries",
    handle: async ({ caller, params }) => json(await redeliverWebhook(caller, params.id!, params.deliveryId!), 202),
  },
  {
    method: "GET",
    path: "/api/v1/settings/webhooks",
    permission: "manage",
    rateLimit: "read",
    summary: "Whether the team's webhooks may go to private and loopback addresses",
    handle: async ({ caller }) => json(await readWebhookSettings(caller)),
  },
  {
    method: "PUT",
    path: "/api/v1/settings/webhooks",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: webhookSettingsInput,
    summary: "Allow or refuse private and loopback webhook destinations (link-local and metadata addresses stay refused)",
    handle: async ({ caller, body }) => json(await updateWebhookSettings(caller, body)),
  },
  {
    method: "GET",
    path: "/api/v1/members",
    permission: "read",
    rateLimit: "read",
    summary: "The team's members: name, email, role and when they joined (every member may see them)",
    handle: async ({ caller }) => json(await listMembers(caller)),
  },
  {
    method: "PUT",
    path: "/api/v1/members/:userId",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: memberRoleInput,
    summary: "Change a member's role (never the team's last admin's); it applies from their next request",
    handle: async ({ caller, params, body }) => json(await changeMemberRole(caller, params.userId!, body)),
  },
  {
    method: "DELETE",
    path: "/api/v1/members/:userId",
    permission: "manage",
    rateLimit: "write",
    summary: "Remove a member from the team (never the last admin); their next request is refused",
    handle: async ({ caller, params }) => json(await removeMember(caller, params.userId!)),
  },
  {
    method: "GET",
    path: "/api/v1/invitations",
    permission: "manage",
    rateLimit: "read",
    summary: "The team's pending invitations (not accepted, revoked or expired)",
    handle: async ({ caller }) => json(await listInvitations(caller)),
  },
  {
    method: "POST",
    path: "/api/v1/invitations",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: createInvitationInput,
    summary: "Invite someone with a role (optionally only an email): the link is in the answer, this once",
    handle: async ({ caller, body, headers }) => {
      const invitation = await createInvitation(caller, body);
      return json({ ...invitation, url: `${publicOrigin(headers) ?? ""}${invitation.path}` }, 201);
    },
  },
  {
    method: "DELETE",
    path: "/api/v1/invitations/:id",
    permission: "manage",
    rateLimit: "write",
    summary: "Revoke a pending invitation: its link stops working",
    handle: async ({ caller, params }) => json(await revokeInvitation(caller, params.id!)),
  },
  {
    method: "POST",
    path: "/api/v1/invitations/accept",
    permission: "public",
    body: true,
    input: acceptInvitationInput,
    summary: "Accept an invitation: signed in (session cookie), join its team; else create an account (name, email, password) in it",
    handle: async ({ headers, body }) => {
      if (headers.get("authorization"))
        throw new AppError("bad_request", "An API key cannot accept an invitation: a person does", "authorization");
      // The session cookie is the only credential here, so the router's cross-site check runs for it.
      const session = await sessionCaller(headers);
      if (session) assertSameOriginMutation("POST", Object.fromEntries(headers));
      return json(await acceptInvitationByToken(body, session?.userId), 201);
    },
  },
  {
    method: "GET",
    path: "/api/v1/api-keys",
    permission: "manage",
    rateLimit: "read",
    summary: "The team's API keys: name, prefix, role, creator, last use, expiry and revocation (never the secret)",
    handle: async ({ caller }) => json(await listTeamApiKeys(caller)),
  },
  {
    method: "POST",
    path: "/api/v1/api-keys",
    permission: "manage",
    rateLimit: "write",
    body: true,
    input: createApiKeyInput,
    summary: "Create an API key (a role no higher than yours, optional lifetime such as 90d): the secret is in the answer, this once",
    handle: async ({ caller, body }) => json(await createTeamApiKey(caller, body), 201),
  },
  {
    method: "DELETE",
    path: "/api/v1/api-keys/:id",
    permission: "manage",
    rateLimit: "write",
    summary: "Revoke an API key: refused from the next request on",
    handle: async ({ caller, params }) => json(await revokeTeamApiKey(caller, params.id!)),
  },
  {
    method: "GET",
    path: "/api/v1/team/storage",
    permission: "manage",
    rateLimit: "read",
    query: teamStorageQuery,
    output: teamStorageView,
    summary:
      "How much of the database the team's rows take, per table, the database's size, the retention in effect and the last prune (admins)",
    handle: async ({ caller }) => json(await readTeamStorage(caller)),
  },
  {
    method: "GET",
    path: "/api/v1/teams",
    permission: "read",
    rateLimit: "read",
    summary: "The teams the caller can work in (a session: the user's teams; an API key: its own), the current one marked",
    handle: async ({ caller }) => json(await listCallerTeams(caller)),
  },
  {
    method: "PUT",
    path: "/api/v1/session/team",
    permission: "read",
    rateLimit: "write",
    body: true,
    input: switchTeamInput,
    summary: "Switch the signed-in session to another of the user's teams (re-issues the session cookie)",
    handle: async ({ caller, headers, body }) => {
      const { team, setCookie } = await switchSessionTeam(caller, headers, body);
      return json(team, 200, { "Set-Cookie": setCookie });
    },
  },
  {
    method: "GET",
    path: "/api/v1/tasks/:id/events",
    permission: "read",
    rateLimit: "read",
    summary:
      "Server-Sent Events of a task's progress (resume with Last-Event-ID or ?after=; agent.restarted means: drop that step's partial output)",
    eventStream: true,
    query: eventStreamQuery,
    handle: serveTaskEvents,
  },
  {
    method: "GET",
    path: "/api/tasks/:id/events",
    permission: "read",
    rateLimit: "read",
    summary: "The same stream as GET /api/v1/tasks/{id}/events, at its first, unversioned path (kept for existing clients)",
    eventStream: true,
    deprecated: true,
    query: eventStreamQuery,
    handle: serveTaskEvents,
  },
  {
    method: "GET",
    path: "/api/v1/events",
    permission: "read",
    rateLimit: "read",
    summary:
      "Server-Sent Events of the team's task status changes (task.created, task.planned, task.completed, …); resume with Last-Event-ID or ?after=",
    eventStream: true,
    query: teamEventsQuery,
    handle: async ({ caller, headers, query, signal }) => {
      const after = headers.get("last-event-id") ?? query.get("after") ?? undefined;
      return { eventStream: openTeamTaskStream(caller, { after }, signal) };
    },
  },
  {
    method: "GET",
    path: "/api/v1/evals/datasets",
    permission: "read",
    rateLimit: "read",
    query: datasetQuery,
    output: evalDatasetListView,
    summary: "The team's evals datasets by name, each with its latest version, case count and newest experiment (?name= finds one)",
    handle: async ({ caller, query }) => json(await listDatasets(caller, Object.fromEntries(query))),
  },
  {
    method: "POST",
    path: "/api/v1/evals/datasets",
    permission: "write",
    rateLimit: "write",
    body: true,
    input: createDatasetInput,
    output: evalDatasetView,
    summary: "Create an evals dataset (version 1), empty or with cases",
    successStatus: 201,
    handle: async ({ caller, body }) => {
      const dataset = await createDataset(caller, body);
      return json(dataset, 201, { Location: `/api/v1/evals/datasets/${dataset.id}` });
    },
  },
  {
    method: "GET",
    path: "/api/v1/evals/datasets/:id",
    permission: "read",
    rateLimit: "read",
    query: datasetVersionQuery,
    output: evalDatasetView,
    summary: "An evals dataset with the cases of its latest version (or of ?version=)",
    handle: async ({ caller, params, query }) => json(await getDataset(caller, params.id, Object.fromEntries(query))),
  },
  {
    method: "PATCH",
    path: "/api/v1/evals/datasets/:id",
    permission: "write",
    rateLimit: "write",
    body: true,
    input: updateDatasetInput,
    output: evalDatasetView,
    summary: "Rename an evals dataset or change its description (its cases, and so its version, stay)",
    handle: async ({ caller, params, body }) => json(await updateDataset(caller, params.id, body)),
  },
  {
    method: "DELETE",
    path: "/api/v1/evals/datasets/:id",
    permission: "delete",
    rateLimit: "write",
    output: deletedView,
    summary: "Delete an evals dataset with all its versions and experiments",
    handle: async ({ caller, params }) => json(await deleteDataset(caller, params.id)),
  },
  {
    method: "GET",
    path: "/api/v1/evals/datasets/:id/versions",
    permission: "read",
    rateLimit: "read",
    output: evalDatasetVersionListView,
    summary: "An evals dataset's versions, newest first: what changed, how many cases, who and when",
    handle: async ({ caller, params }) => json(await listVersions(caller, params.id)),
  },
  {
    method: "POST",
    path: "/api/v1/evals/datasets/:id/cases",
    permission: "write",
    rateLimit: "write",
    body: true,
    input: evalCaseInput,
    output: evalDatasetView,
    summary: "Add a case (a new version); a key the dataset already has is a 409",
    successStatus: 201,
    handle: async ({ caller, params, body }) => datasetVersionCreated(await addCase(caller, params.id, body)),
  },
  {
    method: "PUT",
    path: "/api/v1/evals/datasets/:id/cases/:key",
    permission: "write",
    rateLimit: "write",
    body: true,
    input: evalCaseInput,
    output: evalDatasetView,
    summary: "Replace a case's prompt and expectations, keeping its key (a new version)",
    handle: async ({ caller, params, body }) => json(await updateCase(caller, params.id, params.key, body)),
  },
  {
    method: "DELETE",
    path: "/api/v1/evals/datasets/:id/cases/:key",
    permission: "write",
    rateLimit: "write",
    output: evalDatasetView,
    summary: "Remove a case (a new version; earlier versions keep it)",
    handle: async ({ caller, params }) => json(await deleteCase(caller, params.id, params.key)),
  },
  {
    method: "POST",
    path: "/api/v1/evals/datasets/:id/import",
    permission: "write",
    rateLimit: "write",
    upload: datasetImportUpload,
    input: importCasesInput,
    output: evalDatasetView,
    summary:
      "Import cases from JSONL or CSV (a new version), appended or replacing: JSON {format, content, mode} or multipart (`file`, `format`, `mode`); the first bad line fails it all",
    successStatus: 201,
    handle: async ({ caller, params, body }) =>
      datasetVersionCreated(await importCases(caller, params.id, importInputOf(body as ImportSource))),
  },
  {
    method: "POST",
    path: "/api/v1/evals/datasets/:id/cases/from-task",
    permission: "write",
    rateLimit: "write",
    body: true,
    input: caseFromTaskInput,
    output: evalDatasetView,
    summary: "Add a finished task as a case: its prompt, and its result as the reference answer (a new version)",
    successStatus: 201,
    handle: async ({ caller, params, body }) => datasetVersionCreated(await addCaseFromTask(caller, params.id, body)),
  },
  {
    method: "GET",
    path: "/api/v1/openapi.json",
    permission: "public",
    summary: "This document: the REST API as OpenAPI 3.1, generated from the route table and its zod schemas",
    handle: async () => json(openApiDocument(), 200, { "Cache-Control": "public, max-age=300" }),
  },
  {
    method: "GET",
    path: "/api/health",
    permission: "public",
    summary: "200 when every check passes, 503 otherwise; no authentication, no secrets",
    handle: async () => {
      const health = await checkHealth();
      return json(health, health.status === "ok" ? 200 : 503, { "Cache-Control": "no-store" });
    },
  },
  {
    method: "GET",
    path: "/api/v1/evals/experiments",
    permission: "read",
    rateLimit: "read",
    query: listExperimentsInput,
    output: experimentListDoc,
    summary: "The team's eval experiments, newest first (datasetId= for one dataset's), with pass rate and mean score so far",
    handle: async ({ caller, query }) => json(await listExperiments(caller, Object.fromEntries(query))),
  },
  {
    method: "POST",
    path: "/api/v1/evals/experiments",
    permission: "execute",
    rateLimit: "spend",
    body: true,
    input: startExperimentInput,
    output: experimentDoc,
    successStatus: 201,
    summary:
      "Start an experiment: every case of a dataset version (the latest unless given) runs as a task under the configuration, within the budget",
    handle: async ({ caller, body }) => {
      const started = await startExperiment(caller, body);
      return json(started, 201, { Location: `/api/v1/evals/experiments/${started.id}` });
    },
  },
  {
    method: "GET",
    path: "/api/v1/evals/experiments/:id",
    permission: "read",
    rateLimit: "read",
    output: experimentDoc,
    summary: "An experiment with its configuration, every case's result and the aggregate (live while it runs)",
    handle: async ({ caller, params }) => json(await getExperiment(caller, params.id)),
  },
  {
    method: "DELETE",
    path: "/api/v1/evals/experiments/:id",
    permission: "delete",
    rateLimit: "write",
    output: deletedView,
    summary: "Delete a finished experiment and its results (admins); a queued or running one must be cancelled first (409)",
    handle: async ({ caller, params }) => json(await deleteExperiment(caller, params.id)),
  },
  {
    method: "POST",
    path: "/api/v1/evals/experiments/:id/cancel",
    permission: "execute",
    rateLimit: "write",
    output: experimentDoc,
    summary: "Cancel a queued or running experiment: pending cases are skipped and running cases' tasks cancelled",
    handle: async ({ caller, params }) => json(await cancelExperiment(caller, params.id)),
  },
  {
    method: "GET",
    path: "/api/v1/evals/compare",
    permission: "read",
    rateLimit: "read",
    query: compareExperimentsInput,
    output: comparisonDoc,
    summary:
      "Compare two experiments (a = baseline, b = candidate): aggregate deltas (b − a) and per-case changes by case key, regressions first",
    handle: async ({ caller, query }) => json(await compareExperiments(caller, Object.fromEntries(query))),
  },
  {
    method: "GET",
    path: "/api/health/live",
    permission: "public",
    summary: "Liveness: 200 while the process answers; checks nothing else (no database), for a liveness probe",
    handle: async () => json({ status: "ok", time: new Date().toISOString() }, 200, { "Cache-Control": "no-store" }),
  },
  {
    method: "GET",
    path: "/api/health/ready",
    permission: "public",
    summary:
      "Readiness: 200 when the database, the executor (or the Inngest server), Redis when configured and free disk under the data directory all pass; else 503 naming the failing checks",
    handle: async () => {
      const ready = await checkReadiness();
      return json(ready, ready.status === "ok" ? 200 : 503, { "Cache-Control": "no-store" });
    },
  },
  {
    method: "GET",
    path: "/api/metrics",
    // Guarded by its own rule (metrics-endpoint.ts): a bearer token for scrapers, not a member's key.
    permission: "public",
    summary:
      "Prometheus metrics (text format): requests, tasks, agents, model tokens and cost, cache, breakers, rate limits, executor, database pool, streams. Bearer CHORUS_METRICS_TOKEN, or this machine only when unset",
    handle: async ({ headers }) => ({ webResponse: await metricsResponse(headers) }),
  },
];
