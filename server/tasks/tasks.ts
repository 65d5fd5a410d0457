import type { z } from "zod";
import {
  findTaskInTeam,
  findTaskView,
  insertTask,
  insertTaskWithId,
  markTaskFailed,
  taskExistsInTeam,
  type NewTaskRow,
} from "@/server/db/queries/tasks";
import type { InputJsonObject } from "@/server/db/types";
import { listTaskFilterChoices, listTaskPage, type TaskListFilter } from "@/server/db/queries/task-list";
import { recordAudit } from "@/server/audit/record-audit";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { AppError } from "@/server/errors";
import { appendRunEvent, publishRunEvents } from "@/server/events/run-events";
import { sendTaskCreated, sendTaskFinished } from "@/inngest/client";
import { logger } from "@/server/observability/logger";
import { taskTraceOrigin } from "@/server/observability/tracing";
import { createTaskInput, listTasksInput, taskId as taskIdSchema, teamEventsQuery } from "./task-schemas";
import { parseTeamStreamPosition, teamTaskEventStream } from "@/server/events/team-task-feed";
import { presentNewTask, presentTask, presentTaskListItem, type TaskView } from "./task-views";
import { parseInput } from "@/server/validation";
import { cutText } from "@/server/text/cut-text";
import { checkTaskRunConfig, type TaskRunConfig } from "./task-run-config";

/**
 * Task use-cases. Every function takes the caller first, checks their permission and works
 * inside the caller's team. The SQL is in server/db/queries/tasks.ts; the views in task-views.ts.
 */

/**
 * Submits a task. `options` is for Chorus's own callers (an experiment's durable step), never the
 * public create input: `id`, a cuid made beforehand, makes the call idempotent — a task with that
 * id in the caller's team is returned as it is (and started, should the first call have stopped
 * before starting it) instead of a second one being made; `runConfig` is the task's own
 * configuration (server/tasks/task-run-config.ts), checked against the team and stored with it.
 */
export async function createTask(
  caller: Caller,
  rawInput: unknown,
  options: { id?: string; runConfig?: TaskRunConfig } = {},
): Promise<TaskView> {
  requirePermission(caller, "execute");
  const input = parseInput(createTaskInput, rawInput);
  const runConfig = options.runConfig === undefined ? undefined : await checkTaskRunConfig(caller.teamId, options.runConfig);
  const createdPayload = { prompt: cutText(input.prompt, 200) };
  const task: NewTaskRow = {
    teamId: caller.teamId,
    createdById: caller.userId ?? null,
    apiKeyId: caller.apiKeyId ?? null,
    prompt: input.prompt,
    template: input.template ?? null,
    requireApproval: input.requireApproval,
    useModelCache: input.cache,
    maxCostUsd: input.maxCostUsd ?? null,
    maxTokens: input.maxTokens ?? null,
    createdAt: new Date().toISOString(),
    createdEventPayload: createdPayload,
    ...(runConfig && Object.keys(runConfig).length > 0 ? { runConfig: runConfig as InputJsonObject } : {}),
    // The request's trace, when tracing is on: the task's steps and its own span join it.
    trace: taskTraceOrigin(),
  };
  // The task and its first event (seq 1) in one statement.
  const inserted = options.id === undefined ? await insertTask(task) : await insertTaskWithId(parseNewTaskId(options.id), task);
  if (!inserted) return existingTask(caller, options.id!);
  const { eventCreatedAt, ...row } = inserted;
  publishRunEvents(row.id, [{ seq: 1, type: "task.created", payload: createdPayload, createdAt: eventCreatedAt }]);
  // The audit row beside starting the coordinator, not before it: one round trip less on the task's hot path.
  await Promise.all([
    recordAudit(caller, {
      action: "task.created",
      target: { type: "task", id: row.id },
      details: { template: input.template ?? null, requireApproval: input.requireApproval },
    }),
    scheduleTask({ id: row.id, teamId: caller.teamId, traceId: row.traceId }),
  ]);
  return presentNewTask(row);
}

function parseNewTaskId(id: string): string {
  const parsed = taskIdSchema.safeParse(id);
  if (!parsed.success) throw new AppError("bad_request", "id must be a task id (a cuid)", "id");
  return parsed.data;
}

/**
 * The task a repeated createTask names. Still queued, it may never have been started (the first
 * call stopped in between): it is scheduled again — the event's id is the task's, so a coordinator
 * that did start is not started twice.
 */
async function existingTask(caller: Caller, id: string): Promise<TaskView> {
  const existing = await findTaskView(caller.teamId, id);
  if (!existing) throw new AppError("conflict", "A task with this id exists already", "id");
  if (existing.status === "queued") await scheduleTask({ id, teamId: caller.teamId, traceId: existing.traceId });
  return presentTask(existing);
}

/** Starts the coordinator for a stored task; if that fails the task is marked failed (never left queued forever). */
export async function scheduleTask(task: { id: string; teamId: string; traceId?: string | null }) {
  try {
    await sendTaskCreated({ taskId: task.id, teamId: task.teamId, ...(task.traceId ? { traceId: task.traceId } : {}) });
  } catch (error) {
    logger.error("could not schedule task", { taskId: task.id, error });
    const message = "Chorus could not schedule this task; try again.";
    await markTaskFailed(task.teamId, task.id, message);
    await appendRunEvent(task.id, "task.failed", { error: message });
    await sendTaskFinished({ taskId: task.id, teamId: task.teamId, status: "failed" });
    throw new AppError("unavailable", "The task was stored but could not be scheduled; try again shortly");
  }
}

const taskNotFound = () => new AppError("not_found", "Task not found", "id");

/** A task id as the caller gave it; a malformed id finds nothing. */
function parseTaskId(id: unknown): string {
  const parsed = taskIdSchema.safeParse(id);
  if (!parsed.success) throw taskNotFound();
  return parsed.data;
}

export async function getTask(caller: Caller, id: unknown): Promise<TaskView> {
  requirePermission(caller, "read");
  const task = await findTaskView(caller.teamId, parseTaskId(id));
  if (!task) throw taskNotFound();
  return presentTask(task);
}

/** Confirms the task exists in the caller's team (for streams) without loading it whole. */
export async function assertTaskInTeam(caller: Caller, id: unknown): Promise<string> {
  requirePermission(caller, "read");
  const taskId = parseTaskId(id);
  if (!(await taskExistsInTeam(caller.teamId, taskId))) throw taskNotFound();
  return taskId;
}

/** The task row itself, for actions that check its state before changing it. */
export async function loadTaskInTeam(caller: Caller, id: unknown) {
  const task = await findTaskInTeam(caller.teamId, parseTaskId(id));
  if (!task) throw taskNotFound();
  return task;
}

export async function listTasks(caller: Caller, rawInput: unknown = {}) {
  requirePermission(caller, "read");
  const input = parseInput(listTasksInput, withStatusesSplit(rawInput));
  // Newest first; a cursor continues after that task, which must be one of the team's.
  const rows = await listTaskPage(caller.teamId, listFilterOf(input), { limit: input.limit + 1, cursor: input.cursor ?? null });
  // An empty page after a cursor may be the end of the list, or a cursor that names no task of
  // the team (mistyped, or another team's): the latter must not pass for the end.
  if (rows.length === 0 && input.cursor != null && !(await taskExistsInTeam(caller.teamId, input.cursor))) {
    throw new AppError("bad_request", "cursor must be the nextCursor of an earlier page (the id of one of the team's tasks)", "cursor");
  }
  const page = rows.slice(0, input.limit);
  return { tasks: page.map(presentTaskListItem), nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null };
}

/** What the list's filters offer the caller: the agent kinds the team's tasks ran, its members and API keys. */
export async function listTaskFilterOptions(caller: Caller) {
  requirePermission(caller, "read");
  return listTaskFilterChoices(caller.teamId);
}

/**
 * The team's status stream (GET /api/v1/events) for the caller, resuming after `after` (a
 * Last-Event-ID or ?after=); without one it starts from now.
 */
export function openTeamTaskStream(caller: Caller, rawInput: unknown, signal: AbortSignal) {
  requirePermission(caller, "read");
  const input = parseInput(teamEventsQuery, rawInput);
  const after = input.after === undefined ? null : parseTeamStreamPosition(input.after);
  if (after === undefined) throw new AppError("bad_request", "after must be the id of an event of this stream", "after");
  return teamTaskEventStream(caller.teamId, after, signal);
}

/** A query string's `status=queued,running` as the list of statuses it means (tRPC passes arrays). */
function withStatusesSplit(raw: unknown): unknown {
  if (typeof raw !== "object" || raw === null || !("status" in raw)) return raw;
  const status = (raw as { status: unknown }).status;
  const split = (value: unknown) => (typeof value === "string" ? value.split(",").map((part) => part.trim()) : [value]);
  if (typeof status === "string" && !status.includes(",")) return raw;
  return Array.isArray(status) || typeof status === "string" ? { ...raw, status: [status].flat().flatMap(split) } : raw;
}

const DAY_MS = 86_400_000;

/** The validated query as the data layer's filter: dates as instants (a `createdTo` date includes its whole day). */
function listFilterOf(input: z.output<typeof listTasksInput>): TaskListFilter {
  const [type, ...id] = input.submitter?.split(":") ?? [];
  const instant = (value: string, endOfDay: boolean) => {
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
    const at = Date.parse(dateOnly ? `${value}T00:00:00Z` : value);
    return new Date(dateOnly && endOfDay ? at + DAY_MS : endOfDay ? at + 1 : at).toISOString();
  };
  const createdFrom = input.createdFrom ? instant(input.createdFrom, false) : undefined;
  const createdBefore = input.createdTo ? instant(input.createdTo, true) : undefined;
  if (createdFrom && createdBefore && createdFrom >= createdBefore) {
    throw new AppError("bad_request", "createdTo must not be before createdFrom", "createdTo");
  }
  return {
    search: input.q || undefined,
    statuses: input.status === undefined ? undefined : [input.status].flat(),
    agentKind: input.agent,
    submitter: type ? { type: type as "user" | "api_key", id: id.join(":") } : undefined,
    createdFrom,
    createdBefore,
  };
}
