import { getDb, query } from "@/server/db/client";
import type { Prisma } from "@/server/db/generated/client";
import type { ExecutionStatus, TaskStatus } from "@/server/db/generated/enums";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { AppError } from "@/server/errors";
import { appendRunEvent, publishRunEvents } from "@/server/events/run-events";
import { sendTaskCreated } from "@/inngest/client";
import { logger } from "@/server/observability/logger";
import { createTaskInput, listTasksInput, taskId as taskIdSchema } from "./task-schemas";
import { parseInput } from "@/server/validation";
import { newRowId } from "@/server/db/row-id";
import { utcIsoSql } from "@/server/db/stored-time";
import { cutText } from "@/server/text/cut-text";

/** Task use-cases. Every function takes the caller first and filters by the caller's team. */

/**
 * The task view is read on every poll, so it is one plain-SQL statement (the task, its
 * executions and its reruns) rather than three Prisma queries. Timestamps are stored without a
 * zone and mean UTC (as Prisma reads them), so SQL formats them as ISO strings itself instead
 * of letting pg parse them in the process's local zone (server/db/stored-time.ts).
 */

const SUMMARY_COLUMNS = `t.id, t.status::text AS status, t.prompt, t.template, t."requireApproval", t.error,
  t."inputTokens", t."outputTokens", t."costUsd"::text AS "costUsd",
  ${utcIsoSql('t."createdAt"')} AS "createdAt", ${utcIsoSql('t."startedAt"')} AS "startedAt", ${utcIsoSql('t."completedAt"')} AS "completedAt"`;

const TASK_VIEW = `SELECT ${SUMMARY_COLUMNS},
  t."parentTaskId", t."rerunFromStep", t.approval, ${utcIsoSql('t."approvalDueAt"')} AS "approvalDueAt", t.plan,
  CASE WHEN t.status = 'completed' THEN t.output END AS output,
  (SELECT COALESCE(json_agg(json_build_object(
      'id', e.id, 'stepId', e."stepKey", 'agent', e."agentKind", 'status', e.status, 'attempt', e.attempt,
      'modelId', e."modelId", 'output', e.output, 'error', e.error, 'reusedFromId', e."reusedFromId",
      'inputTokens', e."inputTokens", 'outputTokens', e."outputTokens", 'costUsd', e."costUsd",
      'startedAt', ${utcIsoSql('e."startedAt"')}, 'completedAt', ${utcIsoSql('e."completedAt"')})
    ORDER BY e."createdAt", e.attempt), '[]'::json)
   FROM "AgentExecution" e WHERE e."taskId" = t.id) AS executions,
  (SELECT COALESCE(json_agg(r.id ORDER BY r."createdAt"), '[]'::json) FROM "Task" r WHERE r."parentTaskId" = t.id) AS reruns
FROM "Task" t`;

type Json = Prisma.JsonValue;

interface TaskSummaryRow {
  id: string;
  status: TaskStatus;
  prompt: string;
  template: string | null;
  requireApproval: boolean;
  error: string | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: string;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

interface ExecutionRow {
  id: string;
  stepId: string;
  agent: string;
  status: ExecutionStatus;
  attempt: number;
  modelId: string | null;
  output: Json;
  error: string | null;
  reusedFromId: string | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  startedAt: string | null;
  completedAt: string | null;
}

interface TaskRow extends TaskSummaryRow {
  parentTaskId: string | null;
  rerunFromStep: string | null;
  approval: Json;
  approvalDueAt: string | null;
  plan: Json;
  output: Json;
  executions: ExecutionRow[];
  reruns: string[];
}

function durationMs(task: { startedAt: string | null; completedAt: string | null }): number | null {
  if (!task.startedAt) return null;
  return (task.completedAt ? Date.parse(task.completedAt) : Date.now()) - Date.parse(task.startedAt);
}

export function presentTaskSummary(task: TaskSummaryRow) {
  return {
    id: task.id,
    status: task.status,
    prompt: task.prompt,
    template: task.template,
    requireApproval: task.requireApproval,
    error: task.error,
    usage: { inputTokens: task.inputTokens, outputTokens: task.outputTokens, costUsd: Number(task.costUsd) },
    createdAt: task.createdAt,
    startedAt: task.startedAt,
    completedAt: task.completedAt,
    durationMs: durationMs(task),
  };
}

export function presentTask(task: TaskRow) {
  return {
    ...presentTaskSummary(task),
    parentTaskId: task.parentTaskId,
    rerunFromStep: task.rerunFromStep,
    reruns: task.reruns,
    approval: task.approval,
    approvalDueAt: task.approvalDueAt,
    plan: task.plan,
    result: task.output,
    executions: task.executions.map((execution) => ({
      id: execution.id,
      stepId: execution.stepId,
      agent: execution.agent,
      status: execution.status,
      attempt: execution.attempt,
      modelId: execution.modelId,
      output: execution.output,
      error: execution.error,
      reusedFromId: execution.reusedFromId,
      usage: { inputTokens: execution.inputTokens, outputTokens: execution.outputTokens, costUsd: Number(execution.costUsd) },
      startedAt: execution.startedAt,
      completedAt: execution.completedAt,
    })),
  };
}
export type TaskView = ReturnType<typeof presentTask>;
export type TaskSummaryView = ReturnType<typeof presentTaskSummary>;

export async function createTask(caller: Caller, rawInput: unknown): Promise<TaskView> {
  requirePermission(caller, "execute");
  const input = parseInput(createTaskInput, rawInput);
  const createdAt = new Date().toISOString();
  // The task and its first event (seq 1) in one statement.
  const { rows } = await query<TaskSummaryRow & { eventCreatedAt: string }>(
    `WITH t AS (
       INSERT INTO "Task" (id, "teamId", "createdById", "apiKeyId", prompt, template, "requireApproval", "lastSeq", "createdAt", "updatedAt")
       VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8::timestamp, $8::timestamp)
       RETURNING *
     ), event AS (
       INSERT INTO "RunEvent" ("taskId", seq, type, payload) SELECT id, 1, 'task.created', $9::jsonb FROM t RETURNING "createdAt"
     )
     SELECT ${SUMMARY_COLUMNS}, ${utcIsoSql('event."createdAt"')} AS "eventCreatedAt" FROM t, event`,
    [
      newRowId(),
      caller.teamId,
      caller.userId ?? null,
      caller.apiKeyId ?? null,
      input.prompt,
      input.template ?? null,
      input.requireApproval,
      createdAt,
      JSON.stringify({ prompt: cutText(input.prompt, 200) }),
    ],
  );
  const { eventCreatedAt, ...row } = rows[0]!;
  publishRunEvents(row.id, [{ seq: 1, type: "task.created", payload: { prompt: cutText(input.prompt, 200) }, createdAt: eventCreatedAt }]);
  await scheduleTask({ id: row.id, teamId: caller.teamId });
  return presentTask({
    ...row,
    parentTaskId: null,
    rerunFromStep: null,
    approval: null,
    approvalDueAt: null,
    plan: null,
    output: null,
    executions: [],
    reruns: [],
  });
}

/** Starts the coordinator for a stored task; if that fails the task is marked failed (never left queued forever). */
export async function scheduleTask(task: { id: string; teamId: string }) {
  try {
    await sendTaskCreated({ taskId: task.id, teamId: task.teamId });
  } catch (error) {
    logger.error("could not schedule task", { taskId: task.id, error });
    const message = "Chorus could not schedule this task; try again.";
    await getDb().task.update({ where: { id: task.id }, data: { status: "failed", error: message, completedAt: new Date() } });
    await appendRunEvent(task.id, "task.failed", { error: message });
    throw new AppError("unavailable", "The task was stored but could not be scheduled; try again shortly");
  }
}

const taskNotFound = () => new AppError("not_found", "Task not found", "id");

/** The `where` that finds task `id` only inside the caller's team; a malformed id finds nothing. */
export function taskInTeam(caller: Caller, id: unknown) {
  const parsed = taskIdSchema.safeParse(id);
  if (!parsed.success) throw taskNotFound();
  return { id: parsed.data, teamId: caller.teamId };
}

export async function getTask(caller: Caller, id: unknown): Promise<TaskView> {
  requirePermission(caller, "read");
  const where = taskInTeam(caller, id);
  const { rows } = await query<TaskRow>(`${TASK_VIEW} WHERE t.id = $1 AND t."teamId" = $2`, [where.id, where.teamId]);
  if (!rows[0]) throw taskNotFound();
  return presentTask(rows[0]);
}

/** Confirms the task exists in the caller's team (for streams) without loading it whole. */
export async function assertTaskInTeam(caller: Caller, id: unknown): Promise<string> {
  requirePermission(caller, "read");
  const where = taskInTeam(caller, id);
  const { rows } = await query<{ id: string }>(`SELECT id FROM "Task" WHERE id = $1 AND "teamId" = $2`, [where.id, where.teamId]);
  if (!rows[0]) throw taskNotFound();
  return rows[0].id;
}

/** The task row itself, for actions that check its state before changing it. */
export async function loadTaskInTeam(caller: Caller, id: unknown) {
  const task = await getDb().task.findFirst({ where: taskInTeam(caller, id) });
  if (!task) throw taskNotFound();
  return task;
}

export async function listTasks(caller: Caller, rawInput: unknown = {}) {
  requirePermission(caller, "read");
  const input = parseInput(listTasksInput, rawInput);
  // Newest first; a cursor continues after that task, which must be one of the team's.
  const { rows } = await query<TaskSummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM "Task" t
     WHERE t."teamId" = $1
       AND ($3::text IS NULL OR (t."createdAt", t.id) < (SELECT c."createdAt", c.id FROM "Task" c WHERE c.id = $3 AND c."teamId" = $1))
     ORDER BY t."createdAt" DESC, t.id DESC LIMIT $2`,
    [caller.teamId, input.limit + 1, input.cursor ?? null],
  );
  // An empty page after a cursor may be the end of the list, or a cursor that names no task of
  // the team (mistyped, or another team's): the latter must not pass for the end.
  if (rows.length === 0 && input.cursor !== undefined) {
    const { rows: known } = await query(`SELECT 1 FROM "Task" WHERE id = $1 AND "teamId" = $2`, [input.cursor, caller.teamId]);
    if (known.length === 0) throw new AppError("bad_request", "cursor must be the nextCursor of an earlier page (the id of one of the team's tasks)", "cursor");
  }
  const page = rows.slice(0, input.limit);
  return { tasks: page.map(presentTaskSummary), nextCursor: rows.length > input.limit ? page.at(-1)?.id ?? null : null };
}
