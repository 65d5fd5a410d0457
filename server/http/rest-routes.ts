import type { z } from "zod";
import type { RateLimitTier } from "@/server/rate-limit";
import { agentDefinitionFieldsSchema, customAgentDefinitionSchema } from "@/server/agents";
import type { Caller } from "@/server/auth/caller";
import type { Permission } from "@/server/auth/permissions";
import { taskEventStream } from "@/server/events/event-stream";
import { checkHealth } from "@/server/db/health";
import { approveTask, cancelTask, rejectTask, rerunTask } from "@/server/tasks/task-actions";
import {
  approveTaskInput,
  approveToolCallInput,
  createTaskInput,
  denyToolCallInput,
  listTasksInput,
  rejectTaskInput,
  rerunTaskInput,
} from "@/server/tasks/task-schemas";
import { approveToolCall, denyToolCall } from "@/server/tasks/tool-call-decisions";
import { readToolApprovalSettings, toolApprovalSettingsInput, updateToolApprovalSettings } from "@/server/teams/tool-approvals";
import { assertTaskInTeam, createTask, getTask, listTasks } from "@/server/tasks/tasks";
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

import { changeMemberRole, listMembers, memberRoleInput, removeMember } from "@/server/teams/members";
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
  { status?: number; json: unknown; headers?: Record<string, string> } | { eventStream: ReadableStream<Uint8Array> };

export interface RestRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
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
  upload?: { maxFileBytes: () => number };
  /** The schema the handler's service validates the body (or the query) with: for docs and generated tests. */
  input?: z.ZodType;
  query?: z.ZodType;
  summary: string;
  handle(input: RouteInput): Promise<RouteResult>;
}

const json = (value: unknown, status = 200, headers?: Record<string, string>): RouteResult => ({ status, json: value, headers });
const created = (task: { id: string }): RouteResult => json(task, 201, { Location: `/api/v1/tasks/${task.id}` });
const knowledgeUpload = { maxFileBytes: () => getEnv().CHORUS_KNOWLEDGE_MAX_UPLOAD_BYTES };

export const restRoutes: readonly RestRoute[] = [
  {
    method: "POST",
    path: "/api/v1/tasks",
    permission: "execute",
    rateLimit: "spend",
    body: true,
    input: createTaskInput,
    summary: "Submit a task",
    handle: async ({ caller, body }) => created(await createTask(caller, body)),
  },
  {
    method: "GET",
    path: "/api/v1/tasks",
    permission: "read",
    rateLimit: "read",
    query: listTasksInput,
    summary: "The team's tasks, newest first",
    handle: async ({ caller, query }) => json(await listTasks(caller, Object.fromEntries(query))),
  },
  {
    method: "GET",
    path: "/api/v1/tasks/:id",
    permission: "read",
    rateLimit: "read",
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
    summary: "Reject a plan awaiting approval",
    handle: async ({ caller, params, body }) => json(await rejectTask(caller, params.id!, body)),
  },
  {
    method: "POST",
    path: "/api/v1/tasks/:id/cancel",
    permission: "execute",
    rateLimit: "write",
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
    summary: "Rerun a finished task from one of its steps",
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
    summary: "Switch the team's response cache on or off",
    handle: async ({ caller, body }) => json(await updateModelCacheSettings(caller, body)),
  },
  {
    method: "GET",
    path: "/api/v1/settings/budget",
    permission: "read",
    rateLimit: "read",
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
    summary: "Set the team's monthly model budget in USD, or null for none",
    handle: async ({ caller, body }) => json(await updateBudgetSettings(caller, body)),
  },
  {
    method: "GET",
    path: "/api/v1/usage",
    permission: "read",
    rateLimit: "read",
    query: usageSummaryInput,
    summary: "What the team's model calls spent over a period (default the last 30 days), per day, model, agent or member",
    handle: async ({ caller, query }) => json(await summarizeTeamUsage(caller, Object.fromEntries(query))),
  },
  {
    method: "GET",
    path: "/api/v1/settings/tool-approvals",
    permission: "read",
    rateLimit: "read",
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
    summary: "Choose which built-in tools wait for a member's approval",
    handle: async ({ caller, body }) => json(await updateToolApprovalSettings(caller, body)),
  },
  {
    method: "GET",
    path: "/api/v1/agents",
    permission: "read",
    rateLimit: "read",
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
    summary: "Define a team agent",
    handle: async ({ caller, body }) => json(await createAgentDefinition(caller, body), 201),
  },
  {
    method: "GET",
    path: "/api/v1/agents/:kind",
    permission: "read",
    rateLimit: "read",
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
    summary: "Edit a team agent: writes a new version (none when nothing changed)",
    handle: async ({ caller, params, body }) => json(await updateAgentDefinition(caller, params.kind, body)),
  },
  {
    method: "GET",
    path: "/api/v1/agents/:kind/versions",
    permission: "read",
    rateLimit: "read",
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
    summary: "Try an agent: a task that runs it alone on a prompt",
    handle: async ({ caller, params, body }) => created(await tryAgent(caller, params.kind, body)),
  },
  {
    method: "DELETE",
    path: "/api/v1/agents/:kind",
    permission: "manage",
    rateLimit: "write",
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
    summary:
      "Add a document to the team's knowledge base: multipart (`file`, optional `title`, `language`) or JSON {title, text, language?}",
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
    summary: "The team's knowledge-base documents, newest first (limit, offset)",
    handle: async ({ caller, query }) => json(await listKnowledgeDocuments(caller, Object.fromEntries(query))),
  },
  {
    method: "GET",
    path: "/api/v1/knowledge/search",
    permission: "read",
    rateLimit: "read",
    query: searchKnowledgeInput,
    summary: "Search the team's knowledge base: ranked passages with snippets (q, limit)",
    handle: async ({ caller, query }) => json(await searchKnowledgeFor(caller, Object.fromEntries(query))),
  },
  {
    method: "GET",
    path: "/api/v1/knowledge/:id",
    permission: "read",
    rateLimit: "read",
    query: getKnowledgeInput,
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
    summary: "Replace a document's content (same id; its chunks are swapped atomically): multipart or JSON, as for adding",
    handle: async ({ caller, params, body }) => json(await replaceKnowledgeDocument(caller, params.id!, body as DocumentSource)),
  },
  {
    method: "DELETE",
    path: "/api/v1/knowledge/:id",
    permission: "write",
    rateLimit: "write",
    summary: "Delete a document and its chunks",
    handle: async ({ caller, params }) => json(await deleteKnowledgeDocument(caller, params.id!)),
  },
  {
    method: "GET",
    path: "/api/v1/settings/fetch-policy",
    permission: "read",
    rateLimit: "read",
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
    path: "/api/tasks/:id/events",
    permission: "read",
    rateLimit: "read",
    summary: "Server-Sent Events of a task's progress (resume with Last-Event-ID or ?after=)",
    handle: async ({ caller, params, headers, query, signal }) => {
      const taskId = await assertTaskInTeam(caller, params.id);
      const resumeFrom = headers.get("last-event-id") ?? query.get("after") ?? "0";
      const afterSeq = Number.isInteger(Number(resumeFrom)) && Number(resumeFrom) >= 0 ? Number(resumeFrom) : 0;
      return { eventStream: taskEventStream(taskId, afterSeq, signal) };
    },
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
];
