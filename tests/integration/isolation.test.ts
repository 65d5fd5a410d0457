import { beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "@/server/api/root";
import type { ProcedureMeta } from "@/server/api/trpc";
import { createApiKey, revokeApiKey } from "@/server/auth/api-keys";
import { can } from "@/server/auth/permissions";
import { getDb } from "@/server/db/client";
import { deleteSession } from "@/server/db/queries/sessions";
import { restRoutes } from "@/server/http/rest-routes";
import { createTask } from "@/server/tasks/tasks";
import { createAgentDefinition } from "@/server/teams/agent-definitions";
import { updateFetchPolicy } from "@/server/web/fetch-policy";
import { updateModelCacheSettings } from "@/server/teams/model-cache-settings";
import { updateBudgetSettings } from "@/server/teams/budget-settings";
import { insertModelCall } from "@/server/db/queries/model-calls";
import { createMcpServer } from "@/server/mcp/mcp-servers";
import { createKnowledgeDocument } from "@/server/knowledge/documents";
import { createModelProvider } from "@/server/teams/model-providers";
import { createWebhookEndpoint } from "@/server/webhooks/webhook-endpoints";
import { createInvitation } from "@/server/teams/invitations";
import { createDataset } from "@/server/evals/datasets";
import { createTeamWithMembers, useEmbeddedExecutor } from "../support/fixtures";
import { sessionCookie, useApiServer } from "../support/api-server";

/**
 * Tenant isolation and roles, for every REST route and every tRPC procedure, generated from the
 * route table and the router: another team's caller gets a 404 for this team's things (or sees
 * none of them in a list), a viewer a 403 on anything that changes something, a revoked or an
 * expired key or a signed-out session a 401 — and nothing in the team changes. Each route and procedure needs an
 * entry below: one added without an entry fails this suite.
 */
useEmbeddedExecutor();
const api = useApiServer();

interface Fixture {
  taskId: string;
  agentKind: string;
  mcpServerId: string;
  knowledgeId: string;
  modelProviderId: string;
  webhookId: string;
  webhookDeliveryId: string;
  memberId: string;
  invitationId: string;
  apiKeyId: string;
  evalDatasetId: string;
  evalCaseKey: string;
  datasetId: string;
  experimentId: string;
}

/** How another team's caller must be answered: 404 for a thing of this team, or a list without this team's things. */
type Scope = "not-found" | "own-team";

interface Case {
  path(fixture: Fixture): string;
  body?(fixture: Fixture): unknown;
  scope: Scope;
  /** Request headers the route's protocol needs (MCP's Accept). */
  headers?: Record<string, string>;
  /** The route answers with an event stream that ends with the answer (MCP): read it whole. */
  finiteStream?: true;
}

/** The MCP endpoint's clients accept JSON and event streams. */
const MCP_HEADERS = { accept: "application/json, text/event-stream" };

const restCases: Record<string, Case> = {
  "POST /api/v1/tasks": { path: () => "/api/v1/tasks", body: () => ({ prompt: "isolation probe" }), scope: "own-team" },
  "GET /api/v1/tasks": { path: () => "/api/v1/tasks", scope: "own-team" },
  "GET /api/v1/tasks/:id": { path: (f) => `/api/v1/tasks/${f.taskId}`, scope: "not-found" },
  "POST /api/v1/tasks/:id/approve": { path: (f) => `/api/v1/tasks/${f.taskId}/approve`, body: () => ({}), scope: "not-found" },
  "POST /api/v1/tasks/:id/reject": {
    path: (f) => `/api/v1/tasks/${f.taskId}/reject`,
    body: () => ({ reason: "probe" }),
    scope: "not-found",
  },
  "POST /api/v1/tasks/:id/cancel": { path: (f) => `/api/v1/tasks/${f.taskId}/cancel`, scope: "not-found" },
  "POST /api/v1/tasks/:id/rerun": {
    path: (f) => `/api/v1/tasks/${f.taskId}/rerun`,
    body: () => ({ fromStep: "research" }),
    scope: "not-found",
  },
  "GET /api/v1/agents": { path: () => "/api/v1/agents", scope: "own-team" },
  "POST /api/v1/agents": {
    path: () => "/api/v1/agents",
    body: () => ({ kind: "probe-agent", name: "Probe", description: "Probe agent.", instructions: "Probe.", capabilities: ["probe"] }),
    scope: "own-team",
  },
  "GET /api/v1/agents/:kind": { path: (f) => `/api/v1/agents/${f.agentKind}`, scope: "not-found" },
  "PUT /api/v1/agents/:kind": {
    path: (f) => `/api/v1/agents/${f.agentKind}`,
    body: () => ({ name: "Probe", description: "Probe agent.", instructions: "Probe.", capabilities: ["probe"] }),
    scope: "not-found",
  },
  "GET /api/v1/agents/:kind/versions": { path: (f) => `/api/v1/agents/${f.agentKind}/versions`, scope: "not-found" },
  "POST /api/v1/agents/:kind/try": {
    path: (f) => `/api/v1/agents/${f.agentKind}/try`,
    body: () => ({ prompt: "probe" }),
    scope: "not-found",
  },
  "DELETE /api/v1/agents/:kind": { path: (f) => `/api/v1/agents/${f.agentKind}`, scope: "not-found" },
  "POST /api/v1/tasks/:id/tool-calls/:callId/approve": {
    path: (f) => `/api/v1/tasks/${f.taskId}/tool-calls/probe-call/approve`,
    body: () => ({}),
    scope: "not-found",
  },
  "POST /api/v1/tasks/:id/tool-calls/:callId/deny": {
    path: (f) => `/api/v1/tasks/${f.taskId}/tool-calls/probe-call/deny`,
    body: () => ({ reason: "probe" }),
    scope: "not-found",
  },
  "GET /api/v1/settings/model-cache": { path: () => "/api/v1/settings/model-cache", scope: "own-team" },
  "PUT /api/v1/settings/model-cache": { path: () => "/api/v1/settings/model-cache", body: () => ({ enabled: true }), scope: "own-team" },
  "GET /api/v1/settings/budget": { path: () => "/api/v1/settings/budget", scope: "own-team" },
  "PUT /api/v1/settings/budget": { path: () => "/api/v1/settings/budget", body: () => ({ monthlyBudgetUsd: null }), scope: "own-team" },
  "GET /api/v1/usage": { path: () => "/api/v1/usage?groupBy=model", scope: "own-team" },
  "GET /api/v1/overview": { path: () => "/api/v1/overview?days=30", scope: "own-team" },
  "GET /api/v1/settings/tool-approvals": { path: () => "/api/v1/settings/tool-approvals", scope: "own-team" },
  "PUT /api/v1/settings/tool-approvals": {
    path: () => "/api/v1/settings/tool-approvals",
    body: () => ({ tools: ["web_search"] }),
    scope: "own-team",
  },
  "GET /api/tasks/:id/events": { path: (f) => `/api/tasks/${f.taskId}/events`, scope: "not-found" },
  "GET /api/v1/tasks/:id/events": { path: (f) => `/api/v1/tasks/${f.taskId}/events`, scope: "not-found" },
  // The team stream: another team's caller gets its own stream (tests/integration/task-list.test.ts checks it carries none of this team's events).
  "GET /api/v1/events": { path: () => "/api/v1/events", scope: "own-team" },
  "GET /api/v1/settings/fetch-policy": { path: () => "/api/v1/settings/fetch-policy", scope: "own-team" },
  "PUT /api/v1/settings/fetch-policy": {
    path: () => "/api/v1/settings/fetch-policy",
    body: () => ({ allow: ["probe.example"], deny: [] }),
    scope: "own-team",
  },
  "GET /api/v1/mcp-servers": { path: () => "/api/v1/mcp-servers", scope: "own-team" },
  "POST /api/v1/mcp-servers": {
    path: () => "/api/v1/mcp-servers",
    body: () => ({ name: "probe-mcp", url: "http://127.0.0.1:9/mcp" }),
    scope: "own-team",
  },
  "GET /api/v1/mcp-servers/:id": { path: (f) => `/api/v1/mcp-servers/${f.mcpServerId}`, scope: "not-found" },
  "PUT /api/v1/mcp-servers/:id": {
    path: (f) => `/api/v1/mcp-servers/${f.mcpServerId}`,
    body: () => ({ enabled: false }),
    scope: "not-found",
  },
  "DELETE /api/v1/mcp-servers/:id": { path: (f) => `/api/v1/mcp-servers/${f.mcpServerId}`, scope: "not-found" },
  "POST /api/v1/mcp-servers/:id/refresh": { path: (f) => `/api/v1/mcp-servers/${f.mcpServerId}/refresh`, scope: "not-found" },
  "POST /api/v1/mcp-servers/:id/test": { path: (f) => `/api/v1/mcp-servers/${f.mcpServerId}/test`, scope: "not-found" },
  "POST /api/v1/knowledge": { path: () => "/api/v1/knowledge", body: () => ({ title: "Probe", text: "Probe text." }), scope: "own-team" },
  "GET /api/v1/knowledge": { path: () => "/api/v1/knowledge", scope: "own-team" },
  "GET /api/v1/knowledge/search": { path: () => "/api/v1/knowledge/search?q=lighthouse%20keepers", scope: "own-team" },
  "GET /api/v1/knowledge/:id": { path: (f) => `/api/v1/knowledge/${f.knowledgeId}`, scope: "not-found" },
  "PUT /api/v1/knowledge/:id": {
    path: (f) => `/api/v1/knowledge/${f.knowledgeId}`,
    body: () => ({ title: "Probe", text: "Probe text." }),
    scope: "not-found",
  },
  "DELETE /api/v1/knowledge/:id": { path: (f) => `/api/v1/knowledge/${f.knowledgeId}`, scope: "not-found" },
  "GET /api/v1/model-providers": { path: () => "/api/v1/model-providers", scope: "own-team" },
  "POST /api/v1/model-providers": {
    path: () => "/api/v1/model-providers",
    body: () => ({ name: "probe-provider", kind: "openai", apiKey: "sk-probe-0123456789" }),
    scope: "own-team",
  },
  "GET /api/v1/model-providers/:id": { path: (f) => `/api/v1/model-providers/${f.modelProviderId}`, scope: "not-found" },
  "PUT /api/v1/model-providers/:id": {
    path: (f) => `/api/v1/model-providers/${f.modelProviderId}`,
    body: () => ({ stallTimeoutMs: 30_000 }),
    scope: "not-found",
  },
  "DELETE /api/v1/model-providers/:id": { path: (f) => `/api/v1/model-providers/${f.modelProviderId}`, scope: "not-found" },
  "POST /api/v1/model-providers/:id/test": { path: (f) => `/api/v1/model-providers/${f.modelProviderId}/test`, scope: "not-found" },
  "GET /api/v1/settings/models": { path: () => "/api/v1/settings/models", scope: "own-team" },
  // Another team's key cannot use this team's agent as a model.
  "POST /api/v1/chat/completions": {
    path: () => "/api/v1/chat/completions",
    body: (f) => ({ model: f.agentKind, messages: [{ role: "user", content: "isolation probe" }] }),
    scope: "not-found",
  },
  "GET /api/v1/models": { path: () => "/api/v1/models", scope: "own-team" },
  // Another team's key asks for this team's task by id and lists tasks: it sees none of them.
  "POST /api/v1/mcp": {
    path: () => "/api/v1/mcp",
    body: (f) => ({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get_task", arguments: { id: f.taskId } } }),
    headers: MCP_HEADERS,
    finiteStream: true,
    scope: "own-team",
  },
  "GET /api/v1/audit": { path: () => "/api/v1/audit", scope: "own-team" },
  "GET /api/v1/team/storage": { path: () => "/api/v1/team/storage", scope: "own-team" },
  "GET /api/v1/audit/export": { path: () => "/api/v1/audit/export?format=jsonl", scope: "own-team" },
  "GET /api/v1/webhooks": { path: () => "/api/v1/webhooks", scope: "own-team" },
  "POST /api/v1/webhooks": {
    path: () => "/api/v1/webhooks",
    body: () => ({ url: "https://probe-hook.example/hook", events: ["task.completed"] }),
    scope: "own-team",
  },
  "GET /api/v1/webhooks/:id": { path: (f) => `/api/v1/webhooks/${f.webhookId}`, scope: "not-found" },
  "PUT /api/v1/webhooks/:id": { path: (f) => `/api/v1/webhooks/${f.webhookId}`, body: () => ({ enabled: false }), scope: "not-found" },
  "DELETE /api/v1/webhooks/:id": { path: (f) => `/api/v1/webhooks/${f.webhookId}`, scope: "not-found" },
  "POST /api/v1/webhooks/:id/rotate-secret": { path: (f) => `/api/v1/webhooks/${f.webhookId}/rotate-secret`, scope: "not-found" },
  "POST /api/v1/webhooks/:id/test": { path: (f) => `/api/v1/webhooks/${f.webhookId}/test`, scope: "not-found" },
  "GET /api/v1/webhooks/:id/deliveries": { path: (f) => `/api/v1/webhooks/${f.webhookId}/deliveries`, scope: "not-found" },
  "POST /api/v1/webhooks/:id/deliveries/:deliveryId/redeliver": {
    path: (f) => `/api/v1/webhooks/${f.webhookId}/deliveries/${f.webhookDeliveryId}/redeliver`,
    scope: "not-found",
  },
  "GET /api/v1/settings/webhooks": { path: () => "/api/v1/settings/webhooks", scope: "own-team" },
  "PUT /api/v1/settings/webhooks": {
    path: () => "/api/v1/settings/webhooks",
    body: () => ({ allowPrivateDestinations: false }),
    scope: "own-team",
  },
  "PUT /api/v1/settings/models": {
    path: () => "/api/v1/settings/models",
    body: () => ({ default: [{ providerId: "env", model: "probe-model" }] }),
    scope: "own-team",
  },
  "GET /api/v1/members": { path: () => "/api/v1/members", scope: "own-team" },
  "PUT /api/v1/members/:userId": { path: (f) => `/api/v1/members/${f.memberId}`, body: () => ({ role: "user" }), scope: "not-found" },
  "DELETE /api/v1/members/:userId": { path: (f) => `/api/v1/members/${f.memberId}`, scope: "not-found" },
  "GET /api/v1/invitations": { path: () => "/api/v1/invitations", scope: "own-team" },
  "POST /api/v1/invitations": { path: () => "/api/v1/invitations", body: () => ({ role: "viewer" }), scope: "own-team" },
  "DELETE /api/v1/invitations/:id": { path: (f) => `/api/v1/invitations/${f.invitationId}`, scope: "not-found" },
  "GET /api/v1/api-keys": { path: () => "/api/v1/api-keys", scope: "own-team" },
  "POST /api/v1/api-keys": { path: () => "/api/v1/api-keys", body: () => ({ name: "probe-key", role: "viewer" }), scope: "own-team" },
  "DELETE /api/v1/api-keys/:id": { path: (f) => `/api/v1/api-keys/${f.apiKeyId}`, scope: "not-found" },
  "GET /api/v1/teams": { path: () => "/api/v1/teams", scope: "own-team" },
  "GET /api/v1/evals/experiments": { path: () => "/api/v1/evals/experiments", scope: "own-team" },
  // Another team's caller starting an experiment over this team's dataset finds no such dataset.
  "POST /api/v1/evals/experiments": {
    path: () => "/api/v1/evals/experiments",
    body: (f) => ({ datasetId: f.datasetId }),
    scope: "not-found",
  },
  "GET /api/v1/evals/experiments/:id": { path: (f) => `/api/v1/evals/experiments/${f.experimentId}`, scope: "not-found" },
  "DELETE /api/v1/evals/experiments/:id": { path: (f) => `/api/v1/evals/experiments/${f.experimentId}`, scope: "not-found" },
  "POST /api/v1/evals/experiments/:id/cancel": { path: (f) => `/api/v1/evals/experiments/${f.experimentId}/cancel`, scope: "not-found" },
  "GET /api/v1/evals/compare": { path: (f) => `/api/v1/evals/compare?a=${f.experimentId}&b=${f.experimentId}`, scope: "not-found" },
  // Switching into this team: another team's caller is no member of it.
  "PUT /api/v1/session/team": { path: () => "/api/v1/session/team", body: () => ({ teamId }), scope: "not-found" },
  "GET /api/v1/evals/datasets": { path: () => "/api/v1/evals/datasets", scope: "own-team" },
  "POST /api/v1/evals/datasets": { path: () => "/api/v1/evals/datasets", body: () => ({ name: "REST probe dataset" }), scope: "own-team" },
  "GET /api/v1/evals/datasets/:id": { path: (f) => `/api/v1/evals/datasets/${f.evalDatasetId}`, scope: "not-found" },
  "PATCH /api/v1/evals/datasets/:id": {
    path: (f) => `/api/v1/evals/datasets/${f.evalDatasetId}`,
    body: () => ({ description: "probe" }),
    scope: "not-found",
  },
  "DELETE /api/v1/evals/datasets/:id": { path: (f) => `/api/v1/evals/datasets/${f.evalDatasetId}`, scope: "not-found" },
  "GET /api/v1/evals/datasets/:id/versions": { path: (f) => `/api/v1/evals/datasets/${f.evalDatasetId}/versions`, scope: "not-found" },
  "POST /api/v1/evals/datasets/:id/cases": {
    path: (f) => `/api/v1/evals/datasets/${f.evalDatasetId}/cases`,
    body: () => ({ prompt: "probe" }),
    scope: "not-found",
  },
  "PUT /api/v1/evals/datasets/:id/cases/:key": {
    path: (f) => `/api/v1/evals/datasets/${f.evalDatasetId}/cases/${f.evalCaseKey}`,
    body: () => ({ prompt: "probe" }),
    scope: "not-found",
  },
  "DELETE /api/v1/evals/datasets/:id/cases/:key": {
    path: (f) => `/api/v1/evals/datasets/${f.evalDatasetId}/cases/${f.evalCaseKey}`,
    scope: "not-found",
  },
  "POST /api/v1/evals/datasets/:id/import": {
    path: (f) => `/api/v1/evals/datasets/${f.evalDatasetId}/import`,
    body: () => ({ format: "jsonl", content: '{"prompt":"probe"}' }),
    scope: "not-found",
  },
  "POST /api/v1/evals/datasets/:id/cases/from-task": {
    path: (f) => `/api/v1/evals/datasets/${f.evalDatasetId}/cases/from-task`,
    body: (f) => ({ taskId: f.taskId }),
    scope: "not-found",
  },
};

interface ProcedureCase {
  input(fixture: Fixture): unknown;
  scope: Scope;
}

const procedureCases: Record<string, ProcedureCase> = {
  "task.create": { input: () => ({ prompt: "isolation probe" }), scope: "own-team" },
  "task.get": { input: (f) => ({ id: f.taskId }), scope: "not-found" },
  "task.list": { input: () => ({}), scope: "own-team" },
  "task.approve": { input: (f) => ({ id: f.taskId }), scope: "not-found" },
  "task.reject": { input: (f) => ({ id: f.taskId, reason: "probe" }), scope: "not-found" },
  "task.cancel": { input: (f) => ({ id: f.taskId }), scope: "not-found" },
  "task.rerun": { input: (f) => ({ id: f.taskId, fromStep: "research" }), scope: "not-found" },
  "agent.list": { input: () => undefined, scope: "own-team" },
  "agent.create": {
    input: () => ({
      kind: "trpc-probe-agent",
      name: "Probe",
      description: "Probe agent.",
      instructions: "Probe.",
      capabilities: ["probe"],
    }),
    scope: "own-team",
  },
  "agent.get": { input: (f) => ({ kind: f.agentKind }), scope: "not-found" },
  "agent.versions": { input: (f) => ({ kind: f.agentKind }), scope: "not-found" },
  "agent.update": {
    input: (f) => ({ kind: f.agentKind, name: "Probe", description: "Probe agent.", instructions: "Probe.", capabilities: ["probe"] }),
    scope: "not-found",
  },
  "agent.try": { input: (f) => ({ kind: f.agentKind, prompt: "probe" }), scope: "not-found" },
  "agent.delete": { input: (f) => ({ kind: f.agentKind }), scope: "not-found" },
  "task.approveToolCall": { input: (f) => ({ id: f.taskId, callId: "probe-call" }), scope: "not-found" },
  "task.denyToolCall": { input: (f) => ({ id: f.taskId, callId: "probe-call", reason: "probe" }), scope: "not-found" },
  "settings.toolApprovals": { input: () => undefined, scope: "own-team" },
  "settings.updateToolApprovals": { input: () => ({ tools: ["web_search"] }), scope: "own-team" },
  "settings.fetchPolicy": { input: () => undefined, scope: "own-team" },
  "settings.modelCache": { input: () => undefined, scope: "own-team" },
  "settings.updateModelCache": { input: () => ({ enabled: true }), scope: "own-team" },
  "settings.budget": { input: () => undefined, scope: "own-team" },
  "settings.updateBudget": { input: () => ({ monthlyBudgetUsd: null }), scope: "own-team" },
  "usage.summary": { input: () => ({ groupBy: "model" }), scope: "own-team" },
  "overview.read": { input: () => ({ days: 30 }), scope: "own-team" },
  "settings.updateFetchPolicy": { input: () => ({ allow: ["trpc-probe.example"], deny: [] }), scope: "own-team" },
  "mcp.list": { input: () => undefined, scope: "own-team" },
  "mcp.get": { input: (f) => ({ id: f.mcpServerId }), scope: "not-found" },
  "mcp.create": { input: () => ({ name: "trpc-probe-mcp", url: "http://127.0.0.1:9/mcp" }), scope: "own-team" },
  "mcp.update": { input: (f) => ({ id: f.mcpServerId, enabled: false }), scope: "not-found" },
  "mcp.delete": { input: (f) => ({ id: f.mcpServerId }), scope: "not-found" },
  "mcp.refreshTools": { input: (f) => ({ id: f.mcpServerId }), scope: "not-found" },
  "mcp.testConnection": { input: (f) => ({ id: f.mcpServerId }), scope: "not-found" },
  "knowledge.list": { input: () => ({}), scope: "own-team" },
  "knowledge.get": { input: (f) => ({ id: f.knowledgeId }), scope: "not-found" },
  "knowledge.search": { input: () => ({ q: "lighthouse keepers" }), scope: "own-team" },
  "knowledge.create": { input: () => ({ title: "Probe", text: "Probe text." }), scope: "own-team" },
  "knowledge.replace": { input: (f) => ({ id: f.knowledgeId, title: "Probe", text: "Probe text." }), scope: "not-found" },
  "knowledge.delete": { input: (f) => ({ id: f.knowledgeId }), scope: "not-found" },
  "models.listProviders": { input: () => undefined, scope: "own-team" },
  "models.getProvider": { input: (f) => ({ id: f.modelProviderId }), scope: "not-found" },
  "models.createProvider": {
    input: () => ({ name: "trpc-probe-provider", kind: "anthropic", apiKey: "sk-probe-0123456789" }),
    scope: "own-team",
  },
  "models.updateProvider": { input: (f) => ({ id: f.modelProviderId, stallTimeoutMs: 30_000 }), scope: "not-found" },
  "models.deleteProvider": { input: (f) => ({ id: f.modelProviderId }), scope: "not-found" },
  "models.testProvider": { input: (f) => ({ id: f.modelProviderId }), scope: "not-found" },
  "models.routing": { input: () => undefined, scope: "own-team" },
  "audit.list": { input: () => ({}), scope: "own-team" },
  "storage.summary": { input: () => undefined, scope: "own-team" },
  "models.updateRouting": { input: () => ({ default: [{ providerId: "env", model: "probe-model" }] }), scope: "own-team" },
  "webhooks.list": { input: () => undefined, scope: "own-team" },
  "webhooks.get": { input: (f) => ({ id: f.webhookId }), scope: "not-found" },
  "webhooks.create": { input: () => ({ url: "https://trpc-probe-hook.example/hook", events: ["task.failed"] }), scope: "own-team" },
  "webhooks.update": { input: (f) => ({ id: f.webhookId, enabled: false }), scope: "not-found" },
  "webhooks.delete": { input: (f) => ({ id: f.webhookId }), scope: "not-found" },
  "webhooks.rotateSecret": { input: (f) => ({ id: f.webhookId }), scope: "not-found" },
  "webhooks.test": { input: (f) => ({ id: f.webhookId }), scope: "not-found" },
  "webhooks.deliveries": { input: (f) => ({ id: f.webhookId }), scope: "not-found" },
  "webhooks.redeliver": { input: (f) => ({ id: f.webhookId, deliveryId: f.webhookDeliveryId }), scope: "not-found" },
  "webhooks.settings": { input: () => undefined, scope: "own-team" },
  "webhooks.updateSettings": { input: () => ({ allowPrivateDestinations: false }), scope: "own-team" },
  "members.list": { input: () => undefined, scope: "own-team" },
  "members.updateRole": { input: (f) => ({ userId: f.memberId, role: "user" }), scope: "not-found" },
  "members.remove": { input: (f) => ({ userId: f.memberId }), scope: "not-found" },
  "invitations.list": { input: () => undefined, scope: "own-team" },
  "invitations.create": { input: () => ({ role: "viewer" }), scope: "own-team" },
  "invitations.revoke": { input: (f) => ({ id: f.invitationId }), scope: "not-found" },
  "apiKeys.list": { input: () => undefined, scope: "own-team" },
  "apiKeys.create": { input: () => ({ name: "trpc-probe-key", role: "viewer" }), scope: "own-team" },
  "apiKeys.revoke": { input: (f) => ({ id: f.apiKeyId }), scope: "not-found" },
  "teams.list": { input: () => undefined, scope: "own-team" },
  "evalDatasets.list": { input: () => undefined, scope: "own-team" },
  "evalDatasets.get": { input: (f) => ({ id: f.evalDatasetId }), scope: "not-found" },
  "evalDatasets.versions": { input: (f) => ({ id: f.evalDatasetId }), scope: "not-found" },
  "evalDatasets.create": { input: () => ({ name: "tRPC probe dataset" }), scope: "own-team" },
  "evalDatasets.update": { input: (f) => ({ id: f.evalDatasetId, description: "probe" }), scope: "not-found" },
  "evalDatasets.delete": { input: (f) => ({ id: f.evalDatasetId }), scope: "not-found" },
  "evalDatasets.addCase": { input: (f) => ({ id: f.evalDatasetId, prompt: "probe" }), scope: "not-found" },
  "evalDatasets.updateCase": { input: (f) => ({ id: f.evalDatasetId, key: f.evalCaseKey, prompt: "probe" }), scope: "not-found" },
  "evalDatasets.deleteCase": { input: (f) => ({ id: f.evalDatasetId, key: f.evalCaseKey }), scope: "not-found" },
  "evalDatasets.import": { input: (f) => ({ id: f.evalDatasetId, format: "jsonl", content: '{"prompt":"probe"}' }), scope: "not-found" },
  "evalDatasets.addFromTask": { input: (f) => ({ id: f.evalDatasetId, taskId: f.taskId }), scope: "not-found" },
  "evalExperiments.list": { input: () => ({}), scope: "own-team" },
  "evalExperiments.get": { input: (f) => ({ id: f.experimentId }), scope: "not-found" },
  "evalExperiments.start": { input: (f) => ({ datasetId: f.datasetId }), scope: "not-found" },
  "evalExperiments.cancel": { input: (f) => ({ id: f.experimentId }), scope: "not-found" },
  "evalExperiments.delete": { input: (f) => ({ id: f.experimentId }), scope: "not-found" },
  "evalExperiments.compare": { input: (f) => ({ a: f.experimentId, b: f.experimentId }), scope: "not-found" },
};

/** The fixture MCP server's header value: no answer to anyone may carry it. */
const MCP_HEADER_VALUE = "isolation-mcp-header-value-0123456789";
/** The fixture model provider's API key: no answer to anyone may carry it. */
const MODEL_API_KEY = "sk-isolation-model-key-0123456789";
/** The fixture webhook endpoint's signing secret (without its whsec_ prefix): shown once at creation, then in no answer to anyone. */
let webhookSecret = "";

const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: "query" | "mutation"; meta?: ProcedureMeta } }>;
const procedurePermission = (path: string) => procedures[path]!._def.meta?.permission;

type Credentials = { authorization?: string; cookie?: string };

let fixture: Fixture;
let teamId: string;
const as: Record<"viewer" | "user" | "outsider" | "revoked" | "expired" | "signedOut" | "anonymous", Credentials> = {} as never;

beforeAll(async () => {
  const { team, callers } = await createTeamWithMembers();
  const other = await createTeamWithMembers();
  teamId = team.id;
  const task = await createTask(callers.user, { prompt: "The team's own task", requireApproval: true });
  const agent = await createAgentDefinition(callers.admin, {
    kind: "team-only-agent",
    name: "Team only",
    description: "Ours.",
    instructions: "Ours.",
    capabilities: ["ours"],
  });
  // The team's own fetch policy: another team's answer must not show it.
  await updateFetchPolicy(callers.admin, { allow: ["team-only-wiki.example"], deny: [] });
  // The team's cache switch (off, where another team's is on) and a model call only it made.
  await updateModelCacheSettings(callers.admin, { enabled: false });
  // A budget no other team's call may read or change.
  await updateBudgetSettings(callers.admin, { monthlyBudgetUsd: 1234.5 });
  await insertModelCall({
    teamId: team.id,
    taskId: task.id,
    role: "agent",
    agentKind: "team-only-agent",
    provider: "chorus",
    modelId: "team-only-model",
    inputTokens: 10,
    outputTokens: 5,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: null,
    priceKnown: false,
    cached: false,
    estimated: false,
    outcome: "completed",
    startedAt: new Date(),
    durationMs: 1,
  });
  const mcpServer = await createMcpServer(callers.admin, {
    name: "team-only-mcp",
    url: "http://127.0.0.1:9/mcp",
    headers: { Authorization: `Bearer ${MCP_HEADER_VALUE}` },
  });
  const knowledge = await createKnowledgeDocument(callers.user, {
    json: { title: "Team only knowledge", text: "Lighthouse keepers of the team only." },
  });
  // The other team knows about lighthouses too: its searches must find its own document, never this team's.
  await createKnowledgeDocument(other.callers.user, { json: { title: "Theirs", text: "Lighthouse keepers elsewhere." } });
  const modelProvider = await createModelProvider(callers.admin, { name: "team-only-provider", kind: "openai", apiKey: MODEL_API_KEY });
  const webhook = await createWebhookEndpoint(callers.admin, {
    url: "https://team-only-hook.example/hook",
    description: "team-only-webhook",
    events: ["task.completed"],
  });
  webhookSecret = webhook.secret.slice("whsec_".length);
  const webhookDelivery = await getDb().webhookDelivery.create({
    data: {
      teamId: team.id,
      endpointId: webhook.endpoint.id,
      messageId: "msg_team_only",
      eventType: "task.completed",
      taskId: task.id,
      payload: { type: "task.completed", timestamp: new Date().toISOString(), data: { taskId: task.id } },
      status: "failed",
      dispatchedAt: new Date(),
    },
  });
  // A member, a pending invitation and a key of the team that refused calls must leave as they are.
  const member = await getDb().user.create({ data: { email: `isolation-member-${team.id}@test.dev` } });
  await getDb().membership.create({ data: { teamId: team.id, userId: member.id, role: "viewer" } });
  const invitation = await createInvitation(callers.admin, { role: "user" });
  const probeKey = await createApiKey({ teamId: team.id, role: "viewer", name: "probe" });
  // An evals dataset with one case: no refused call may add a version, and no other team may see it.
  const evalDataset = await createDataset(callers.user, { name: "team-only-cases", cases: [{ key: "team-only-case", prompt: "Ours." }] });
  // A dataset with a case and a finished experiment over it, stored as they are (no run): refused calls must leave both as they are.
  const evals = await insertFinishedExperiment(team.id, callers.user.userId!);
  fixture = {
    datasetId: evals.datasetId,
    experimentId: evals.experimentId,
    webhookId: webhook.endpoint.id,
    webhookDeliveryId: webhookDelivery.id,
    memberId: member.id,
    invitationId: invitation.id,
    apiKeyId: probeKey.record.id,
    taskId: task.id,
    agentKind: agent.kind,
    knowledgeId: knowledge.id,
    mcpServerId: mcpServer.id,
    modelProviderId: modelProvider.id,
    evalDatasetId: evalDataset.id,
    evalCaseKey: "team-only-case",
  };
  const key = async (forTeam: string, role: "admin" | "user" | "viewer") =>
    `Bearer ${(await createApiKey({ teamId: forTeam, role, name: role })).key}`;
  as.viewer = { authorization: await key(team.id, "viewer") };
  as.user = { authorization: await key(team.id, "user") };
  as.outsider = { authorization: await key(other.team.id, "admin") };
  const revoked = await createApiKey({ teamId: team.id, role: "admin", name: "revoked" });
  await revokeApiKey(team.id, revoked.record.id);
  as.revoked = { authorization: `Bearer ${revoked.key}` };
  // An admin key, so only its expiry stands between it and every route.
  const expired = await createApiKey({ teamId: team.id, role: "admin", name: "expired", expiresAt: new Date(Date.now() - 1_000) });
  as.expired = { authorization: `Bearer ${expired.key}` };
  const session = await sessionCookie({ userId: callers.admin.userId!, teamId: team.id });
  await deleteSession(session.sessionId);
  as.signedOut = { cookie: session.cookie };
  as.anonymous = {};
});

/** The team's state that no refused call may change. */
async function teamState() {
  const db = getDb();
  const tasks = await db.task.findMany({ where: { teamId }, select: { id: true, status: true, approval: true }, orderBy: { id: "asc" } });
  const agents = await db.agentDefinition.findMany({ where: { teamId }, select: { kind: true, version: true }, orderBy: { kind: "asc" } });
  const agentVersions = await db.agentDefinitionVersion.count({ where: { teamId } });
  const settings = await db.team.findUniqueOrThrow({
    where: { id: teamId },
    select: { toolsNeedingApproval: true, fetchPolicy: true, modelRouting: true, modelCacheEnabled: true, monthlyBudgetUsd: true },
  });
  const mcpServers = await db.mcpServer.findMany({ where: { teamId }, orderBy: { id: "asc" } });
  const modelProviders = await db.modelProvider.findMany({ where: { teamId }, orderBy: { id: "asc" } });
  const knowledge = await db.knowledgeDocument.findMany({
    where: { teamId },
    select: { id: true, title: true, sha256: true, updatedAt: true, chunkCount: true },
    orderBy: { id: "asc" },
  });
  const webhooks = await db.webhookEndpoint.findMany({ where: { teamId }, orderBy: { id: "asc" } });
  const webhookDeliveries = await db.webhookDelivery.findMany({ where: { teamId }, orderBy: { id: "asc" } });
  const webhookPrivate = await db.team.findUniqueOrThrow({ where: { id: teamId }, select: { webhookPrivateDestinations: true } });
  const members = await db.membership.findMany({ where: { teamId }, select: { userId: true, role: true }, orderBy: { userId: "asc" } });
  const invitations = await db.invitation.findMany({ where: { teamId }, select: { id: true, revokedAt: true, acceptedAt: true } });
  const apiKeys = await db.apiKey.findMany({ where: { teamId }, select: { id: true, revokedAt: true }, orderBy: { id: "asc" } });
  const evalDatasets = await db.evalDataset.findMany({
    where: { teamId },
    select: { id: true, name: true, description: true, latestVersion: true },
    orderBy: { id: "asc" },
  });
  const evalCases = await db.evalCase.count({ where: { teamId } });
  const experiments = await db.evalExperiment.findMany({ where: { teamId }, select: { id: true, status: true }, orderBy: { id: "asc" } });
  return {
    evalDatasets,
    evalCases,
    experiments,
    tasks,
    agents,
    agentVersions,
    settings,
    mcpServers,
    modelProviders,
    knowledge,
    webhooks,
    webhookDeliveries,
    webhookPrivate,
    members,
    invitations,
    apiKeys,
  };
}

/** A dataset (one version, one case) and a completed experiment of it, written directly: the fixture needs no run. */
async function insertFinishedExperiment(forTeam: string, userId: string) {
  const db = getDb();
  const dataset = await db.evalDataset.create({ data: { teamId: forTeam, name: "team-only-dataset" } });
  const version = await db.evalDatasetVersion.create({ data: { teamId: forTeam, datasetId: dataset.id, version: 1, caseCount: 1 } });
  const evalCase = await db.evalCase.create({
    data: { teamId: forTeam, versionId: version.id, key: "probe", position: 0, prompt: "Team only case", expected: {} },
  });
  const experiment = await db.evalExperiment.create({
    data: {
      teamId: forTeam,
      name: "team-only-experiment",
      datasetId: dataset.id,
      datasetVersionId: version.id,
      config: { tools: true, cache: false, passScore: 0.7, concurrency: 4 },
      status: "completed",
      caseCount: 1,
      createdById: userId,
      finishedAt: new Date(),
    },
  });
  await db.evalResult.create({
    data: {
      teamId: forTeam,
      experimentId: experiment.id,
      caseId: evalCase.id,
      caseKey: "probe",
      status: "passed",
      score: 1,
      passed: true,
      scores: [],
    },
  });
  return { datasetId: dataset.id, experimentId: experiment.id };
}

async function call(method: string, path: string, credentials: Credentials, body?: unknown, entry?: Case) {
  const headers: Record<string, string> = {
    ...entry?.headers,
    ...(credentials.authorization ? { authorization: credentials.authorization } : {}),
  };
  if (credentials.cookie) Object.assign(headers, { cookie: credentials.cookie, origin: api.baseURL });
  if (body !== undefined || method !== "GET") headers["content-type"] = "application/json";
  const response = await fetch(`${api.baseURL}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text =
    response.headers.get("content-type")?.includes("event-stream") && !entry?.finiteStream
      ? (await response.body?.cancel(), "")
      : await response.text();
  expect(text).not.toContain(MCP_HEADER_VALUE);
  expect(text).not.toContain(MODEL_API_KEY);
  expect(text).not.toContain(webhookSecret);
  return { status: response.status, text };
}

function trpcCall(path: string, credentials: Credentials, input: unknown) {
  if (procedures[path]!._def.type === "query") {
    return call("GET", `/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, credentials);
  }
  return call("POST", `/api/trpc/${path}`, credentials, input ?? {});
}

describe("every REST route", () => {
  it("has an isolation case (a new route must add one)", () => {
    const listed = restRoutes.filter((route) => route.permission !== "public").map((route) => `${route.method} ${route.path}`);
    expect(Object.keys(restCases).sort()).toEqual(listed.sort());
  });

  for (const route of restRoutes.filter((candidate) => candidate.permission !== "public")) {
    const name = `${route.method} ${route.path}`;
    it(`${name}: 401 without valid credentials, 403 for a role without "${route.permission}", invisible to another team`, async () => {
      const entry = restCases[name]!;
      const path = entry.path(fixture);
      const body = entry.body?.(fixture);
      const before = await teamState();
      for (const who of ["anonymous", "revoked", "expired", "signedOut"] as const) {
        const answer = await call(route.method, path, as[who], body, entry);
        expect(answer.status, `${name} as ${who}`).toBe(401);
        expect(JSON.parse(answer.text).error.code).toBe("unauthorized");
        if (who === "expired") expect(JSON.parse(answer.text).error.message).toMatch(/^API key expired at /);
      }
      for (const role of ["viewer", "user"] as const) {
        if (can(role, route.permission as "read")) continue;
        const answer = await call(route.method, path, as[role], body, entry);
        expect(answer.status, `${name} as ${role}`).toBe(403);
        expect(JSON.parse(answer.text).error.code).toBe("forbidden");
      }
      expect(await teamState()).toEqual(before);

      const outsider = await call(route.method, path, as.outsider, body, entry);
      if (entry.scope === "not-found") {
        expect(outsider.status, `${name} from another team`).toBe(404);
        expect(JSON.parse(outsider.text).error.code).toBe("not_found");
      } else {
        expect(outsider.status, `${name} from another team`).toBeLessThan(300);
        expect(outsider.text).not.toContain(fixture.taskId);
        expect(outsider.text).not.toContain("The team's own task");
        expect(outsider.text).not.toContain("Team only");
        expect(outsider.text).not.toContain("team-only-wiki");
        expect(outsider.text).not.toContain("team-only-mcp");
        expect(outsider.text).not.toContain("team-only-provider");
        expect(outsider.text).not.toContain("team-only-model");
        expect(outsider.text).not.toContain("team-only-hook");
        expect(outsider.text).not.toContain("team-only-cases");
        expect(outsider.text).not.toContain("team-only-experiment");
        if (name.includes("model-cache")) expect(JSON.parse(outsider.text).enabled).toBe(true);
        expect(outsider.text).not.toContain("1234.5");
      }
      expect(await teamState()).toEqual(before);
    });
  }
});

describe("every tRPC procedure", () => {
  it("has an isolation case and declares its permission (a new procedure must do both)", () => {
    expect(Object.keys(procedureCases).sort()).toEqual(Object.keys(procedures).sort());
    for (const path of Object.keys(procedures)) expect(procedurePermission(path), path).toBeDefined();
  });

  for (const path of Object.keys(procedures)) {
    it(`${path}: 401 without valid credentials, 403 for a role without its permission, invisible to another team`, async () => {
      const entry = procedureCases[path]!;
      const input = entry.input(fixture);
      const before = await teamState();
      for (const who of ["anonymous", "revoked", "expired", "signedOut"] as const)
        expect((await trpcCall(path, as[who], input)).status, `${path} as ${who}`).toBe(401);
      for (const role of ["viewer", "user"] as const) {
        if (can(role, procedurePermission(path)!)) continue;
        expect((await trpcCall(path, as[role], input)).status, `${path} as ${role}`).toBe(403);
      }
      expect(await teamState()).toEqual(before);
      const outsider = await trpcCall(path, as.outsider, input);
      if (entry.scope === "not-found") expect(outsider.status, `${path} from another team`).toBe(404);
      else {
        expect(outsider.status, `${path} from another team`).toBe(200);
        expect(outsider.text).not.toContain(fixture.taskId);
        expect(outsider.text).not.toContain("Team only");
        expect(outsider.text).not.toContain("team-only-wiki");
        expect(outsider.text).not.toContain("team-only-mcp");
        expect(outsider.text).not.toContain("team-only-provider");
        expect(outsider.text).not.toContain("team-only-model");
        expect(outsider.text).not.toContain("team-only-hook");
        expect(outsider.text).not.toContain("team-only-cases");
        expect(outsider.text).not.toContain("team-only-experiment");
      }
      expect(await teamState()).toEqual(before);
    });
  }
});
