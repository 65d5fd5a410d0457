import type { z } from "zod";
import type { RateLimitTier } from "@/server/rate-limit";
import { customAgentDefinitionSchema } from "@/server/agents";
import type { Caller } from "@/server/auth/caller";
import type { Permission } from "@/server/auth/permissions";
import { taskEventStream } from "@/server/events/event-stream";
import { checkHealth } from "@/server/db/health";
import { approveTask, cancelTask, rejectTask, rerunTask } from "@/server/tasks/task-actions";
import { approveTaskInput, createTaskInput, listTasksInput, rejectTaskInput, rerunTaskInput } from "@/server/tasks/task-schemas";
import { assertTaskInTeam, createTask, getTask, listTasks } from "@/server/tasks/tasks";
import { createAgentDefinition, deleteAgentDefinition, listAgentDefinitions } from "@/server/teams/agent-definitions";
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
