import { getDb, query } from "@/server/db/client";
import type { AgentExecution, Prisma } from "@/server/db/generated/client";
import type { ExecutionStatus, TaskStatus } from "@/server/db/generated/enums";
import { newRowId } from "@/server/db/row-id";
import { countTaskFinished } from "@/server/observability/metrics";
import { recordTaskSpan, tracingEnabled } from "@/server/observability/tracing";
import { utcIsoSql } from "@/server/db/stored-time";
import { pinnedCustomAgentRowsSql, type CustomAgentRow } from "./agent-definitions";
import { APPENDED_COLUMNS, type AppendedEvents } from "./run-events";
import { finishedTaskStatuses } from "@/server/domain/task-vocabulary";

type FinishedTaskStatus = (typeof finishedTaskStatuses)[number];

/**
 * Tasks, `Task` rows, with what is read along with them (their executions, reruns and first
 * event). Two kinds of caller:
 *
 * - a member's request (create, read, list, approve, reject, cancel, rerun): every query takes
 *   the caller's team and filters by it;
 * - the coordinator's durable steps (start, plan, finish): they act on the task id their run was
 *   given, which only ever comes from a stored task, so they take no team.
 *
 * Statements on the hot path — creating a task, the task view read on every poll, and every
 * state change a task's steps make — are plain SQL through `query()` (named prepared
 * statements; docs/benchmarks.md), each one round trip that also appends the task's event where
 * there is one. The rest goes through Prisma. Timestamps are stored without a zone and mean UTC
 * (as Prisma reads them), so SQL formats them as ISO strings itself instead of letting pg parse
 * them in the process's local zone (server/db/stored-time.ts).
 */

type Json = Prisma.JsonValue;

/**
 * A task's usage is the sum of its ModelCall rows (every call, cancelled and failed ones too, and
 * those still being recorded when the task ended); tasks that ran before calls were recorded keep
 * the totals stored on the task. An unknown-price call adds no cost (its row flags it).
 */
const USAGE_COLUMNS = `COALESCE((SELECT sum(m."inputTokens")::int FROM "ModelCall" m WHERE m."taskId" = t.id), t."inputTokens") AS "inputTokens",
  COALESCE((SELECT sum(m."outputTokens")::int FROM "ModelCall" m WHERE m."taskId" = t.id), t."outputTokens") AS "outputTokens",
  (SELECT CASE WHEN count(*) = 0 THEN t."costUsd" ELSE COALESCE(sum(m."costUsd"), 0) END FROM "ModelCall" m WHERE m."taskId" = t.id)::text AS "costUsd"`;

const SUMMARY_COLUMNS = `t.id, t.status::text AS status, t.prompt, t.template, t."requireApproval", t.error,
  ${USAGE_COLUMNS},
  ${utcIsoSql('t."createdAt"')} AS "createdAt", ${utcIsoSql('t."startedAt"')} AS "startedAt", ${utcIsoSql('t."completedAt"')} AS "completedAt"`;

/** The task, its executions and its reruns, in one statement rather than three Prisma queries. */
const TASK_VIEW = `SELECT ${SUMMARY_COLUMNS},
  t."parentTaskId", t."rerunFromStep", t.approval, ${utcIsoSql('t."approvalDueAt"')} AS "approvalDueAt", t.plan, t."traceId",
  CASE WHEN t.status = 'completed' THEN t.output END AS output,
  (SELECT COALESCE(json_agg(json_build_object(
      'id', e.id, 'stepId', e."stepKey", 'agent', e."agentKind", 'status', e.status, 'attempt', e.attempt,
      'modelId', e."modelId", 'input', e.input, 'output', e.output, 'error', e.error, 'reusedFromId', e."reusedFromId",
      'agentVersion', e."agentVersion", 'inputTokens', e."inputTokens", 'outputTokens', e."outputTokens", 'costUsd', e."costUsd",
      'startedAt', ${utcIsoSql('e."startedAt"')}, 'completedAt', ${utcIsoSql('e."completedAt"')},
      'cached', COALESCE((SELECT bool_and(m.cached) FROM "ModelCall" m WHERE m."taskId" = t.id AND m."executionId" = e.id), false),
      'toolCalls', (SELECT COALESCE(json_agg(json_build_object(
          'callId', c."callId", 'tool', c.tool, 'input', c.input, 'status', c.status, 'excerpt', c."outputExcerpt",
          'error', c.error, 'attempts', c.attempts, 'durationMs', c."durationMs", 'startedAt', ${utcIsoSql('c."startedAt"')})
        ORDER BY c."startedAt", c.id), '[]'::json) FROM "ToolCall" c WHERE c."executionId" = e.id))
    ORDER BY e."createdAt", e.attempt), '[]'::json)
   FROM "AgentExecution" e WHERE e."taskId" = t.id) AS executions,
  (SELECT COALESCE(json_agg(r.id ORDER BY r."createdAt"), '[]'::json) FROM "Task" r WHERE r."parentTaskId" = t.id) AS reruns
FROM "Task" t`;

/** A task as lists show it. */
export interface TaskSummaryRow {
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

/** One execution as the task view shows it. */
export interface TaskExecutionRow {
  id: string;
  stepId: string;
  agent: string;
  status: ExecutionStatus;
  attempt: number;
  modelId: string | null;
  /** What the attempt was given: its subtask and the steps whose outputs fed it. */
  input: Json;
  output: Json;
  error: string | null;
  reusedFromId: string | null;
  /** The team agent's version the attempt ran; null for built-ins. */
  agentVersion: number | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  startedAt: string | null;
  completedAt: string | null;
  /** Every model call of the attempt was answered from the response cache (#20 §6): it cost nothing. */
  cached: boolean;
  /** The tools the attempt called, in order. */
  toolCalls: Array<{
    callId: string;
    tool: string;
    input: Json;
    status: string;
    excerpt: string | null;
    error: string | null;
    attempts: number;
    durationMs: number | null;
    startedAt: string;
  }>;
}

/** A task with its executions and reruns (`output` only once it completed). */
export interface TaskViewRow extends TaskSummaryRow {
  parentTaskId: string | null;
  rerunFromStep: string | null;
  approval: Json;
  approvalDueAt: string | null;
  plan: Json;
  output: Json;
  executions: TaskExecutionRow[];
  reruns: string[];
  /** The task's trace (docs/operations.md#tracing); null when tracing was off at its creation. */
  traceId: string | null;
}

// ── A member's requests: every query filters by the caller's team ──────────────────────────

/** What a new task is stored with. */
export interface NewTaskRow {
  teamId: string;
  createdById: string | null;
  apiKeyId: string | null;
  prompt: string;
  template: string | null;
  requireApproval: boolean;
  /** The task's `cache` switch; default true. */
  useModelCache?: boolean;
  /** Hard budgets; null or absent: none. */
  maxCostUsd?: number | null;
  maxTokens?: number | null;
  createdAt: string;
  createdEventPayload: Record<string, unknown>;
  /** A plan fixed in advance (a "try it" task runs one agent): the coordinator runs it without planning. */
  plan?: Prisma.InputJsonObject;
  /** The task's own configuration (an experiment's: models, agent versions, tools); absent: none. */
  runConfig?: Prisma.InputJsonObject;
  /** The trace the task joins and the span creating it (tracing on and sampled); absent: none. */
  trace?: { traceId: string; parentSpanId: string };
}

export type InsertedTaskRow = TaskSummaryRow & { traceId: string | null; eventCreatedAt: string };

/** Stores a queued task and its first event, `task.created` (seq 1), in one statement. */
export async function insertTask(task: NewTaskRow): Promise<InsertedTaskRow> {
  return (await insertTaskWithId(newRowId(), task))!;
}

/**
 * As insertTask, with an id the caller made (a durable step's, so that it can run again): stores
 * nothing and returns undefined when a task with that id exists already (in any team).
 */
export async function insertTaskWithId(id: string, task: NewTaskRow): Promise<InsertedTaskRow | undefined> {
  const { rows } = await query<InsertedTaskRow>(
    `WITH t AS (
       INSERT INTO "Task" (id, "teamId", "createdById", "apiKeyId", prompt, template, "requireApproval", "lastSeq", "createdAt", "updatedAt", plan,
         "useModelCache", "budgetUsd", "maxTokens", "traceId", "traceParentSpanId", "runConfig")
       VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8::timestamp, $8::timestamp, $10::jsonb, $11, $12::numeric, $13::int, $14, $15, $16::jsonb)
       ON CONFLICT (id) DO NOTHING
       RETURNING *
     ), event AS (
       INSERT INTO "RunEvent" ("taskId", seq, type, payload) SELECT id, 1, 'task.created', $9::jsonb FROM t RETURNING "createdAt"
     )
     SELECT ${SUMMARY_COLUMNS}, t."traceId", ${utcIsoSql('event."createdAt"')} AS "eventCreatedAt" FROM t, event`,
    [
      id,
      task.teamId,
      task.createdById,
      task.apiKeyId,
      task.prompt,
      task.template,
      task.requireApproval,
      task.createdAt,
      JSON.stringify(task.createdEventPayload),
      task.plan ? JSON.stringify(task.plan) : null,
      task.useModelCache ?? true,
      task.maxCostUsd ?? null,
      task.maxTokens ?? null,
      task.trace?.traceId ?? null,
      task.trace?.parentSpanId ?? null,
      task.runConfig ? JSON.stringify(task.runConfig) : null,
    ],
  );
  return rows[0];
}

/** The team's task with its executions and reruns (read on every poll). */
export async function findTaskView(teamId: string, id: string): Promise<TaskViewRow | undefined> {
  const { rows } = await query<TaskViewRow>(`${TASK_VIEW} WHERE t.id = $1 AND t."teamId" = $2`, [id, teamId]);
  return rows[0];
}

export async function taskExistsInTeam(teamId: string, id: string): Promise<boolean> {
  const { rows } = await query(`SELECT 1 FROM "Task" WHERE id = $1 AND "teamId" = $2`, [id, teamId]);
  return rows.length > 0;
}

/** The task row itself, for actions that check its state before changing it. */
export async function findTaskInTeam(teamId: string, id: string) {
  return getDb().task.findFirst({ where: { id, teamId } });
}

/** Fails a task outright (one that could not be scheduled). */
export async function markTaskFailed(teamId: string, id: string, error: string): Promise<void> {
  await getDb().task.update({ where: { id, teamId }, data: { status: "failed", error, completedAt: new Date() } });
}

/**
 * Approves the plan (storing `plan`, possibly edited) and moves the task to running — only
 * while it awaits approval and its approval window is open. False when it did not.
 */
export async function markTaskApproved(task: {
  teamId: string;
  id: string;
  plan: Prisma.InputJsonObject;
  approval: Prisma.InputJsonObject;
}): Promise<boolean> {
  const decided = await getDb().task.updateMany({
    where: {
      id: task.id,
      teamId: task.teamId,
      status: "awaiting_approval",
      OR: [{ approvalDueAt: null }, { approvalDueAt: { gt: new Date() } }],
    },
    data: { status: "running", plan: task.plan, approval: task.approval },
  });
  return decided.count > 0;
}

/** Rejects the plan: the task is cancelled with `error` — only while it awaits approval. False when it did not. */
export async function markTaskRejected(task: {
  teamId: string;
  id: string;
  error: string;
  approval: Prisma.InputJsonObject;
}): Promise<boolean> {
  const decided = await getDb().task.updateMany({
    where: { id: task.id, teamId: task.teamId, status: "awaiting_approval" },
    data: { status: "cancelled", error: task.error, completedAt: new Date(), approval: task.approval },
  });
  if (decided.count > 0) countTaskFinished("cancelled");
  if (decided.count > 0) await recordCancelledTaskSpan(task.teamId, task.id);
  return decided.count > 0;
}

/** Cancels the task with `error` if its status is one of `from`. False when it was not. */
export async function markTaskCancelled(task: {
  teamId: string;
  id: string;
  error: string;
  from: readonly TaskStatus[];
}): Promise<boolean> {
  const cancelled = await getDb().task.updateMany({
    where: { id: task.id, teamId: task.teamId, status: { in: [...task.from] } },
    data: { status: "cancelled", error: task.error, completedAt: new Date() },
  });
  // How long it ran is not read back here (one statement, no row returned): counted without a duration.
  if (cancelled.count > 0) countTaskFinished("cancelled");
  if (cancelled.count > 0) await recordCancelledTaskSpan(task.teamId, task.id);
  return cancelled.count > 0;
}

/** A member's cancel (or rejection) ended the task: its span, when it has a trace (one read, only with tracing on). */
async function recordCancelledTaskSpan(teamId: string, id: string) {
  if (!tracingEnabled()) return;
  const row = await getDb().task.findFirst({
    where: { id, teamId },
    select: { traceId: true, traceParentSpanId: true, createdAt: true, completedAt: true },
  });
  if (!row?.traceId) return;
  recordTaskSpan({
    taskId: id,
    teamId,
    status: "cancelled",
    traceId: row.traceId,
    parentSpanId: row.traceParentSpanId,
    createdAt: row.createdAt,
    endedAt: row.completedAt ?? new Date(),
  });
}

/**
 * Stores a rerun — a new queued task beside the original — and copies of the original's
 * executions it reuses (`reusedFromId`), in one transaction.
 */
export async function insertRerunTask(rerun: {
  teamId: string;
  createdById?: string;
  apiKeyId?: string;
  prompt: string;
  template: string | null;
  parentTaskId: string;
  rerunFromStep: string;
  requireApproval: boolean;
  useModelCache: boolean;
  /** The original's budgets, with fresh counters. */
  budgetUsd: Prisma.Decimal | null;
  maxTokens: number | null;
  /** The original's own configuration (Task.runConfig), when it had one. */
  runConfig?: Prisma.InputJsonObject;
  plan: Prisma.InputJsonObject;
  reused: Iterable<AgentExecution>;
  /** The trace the rerun joins (docs/operations.md#tracing); absent: none. */
  traceId?: string;
  traceParentSpanId?: string;
}) {
  const { reused, ...task } = rerun;
  return getDb().$transaction(async (tx) => {
    const created = await tx.task.create({ data: task });
    for (const execution of reused) {
      await tx.agentExecution.create({
        data: {
          taskId: created.id,
          teamId: created.teamId,
          stepKey: execution.stepKey,
          agentKind: execution.agentKind,
          status: "completed",
          input: execution.input as Prisma.InputJsonValue,
          output: execution.output as Prisma.InputJsonValue,
          modelId: execution.modelId,
          reusedFromId: execution.id,
          agentVersion: execution.agentVersion,
          agentVersionId: execution.agentVersionId,
          startedAt: execution.startedAt,
          completedAt: execution.completedAt,
        },
      });
    }
    return created;
  });
}

// ── The coordinator's steps: by task id ─────────────────────────────────────────────────────

/**
 * The plan step's reads, in one statement: moves a queued task to running and returns the task,
 * whether this call started it, the team's agent definitions (at the versions the task pins, if
 * it carries a runConfig that pins any) and the outputs a rerun reuses.
 * (The SELECT sees the row as it was before the UPDATE in the same statement.)
 */
const START_TASK = `WITH started AS (
  UPDATE "Task" SET status = 'running', "startedAt" = $2::timestamp, "updatedAt" = $2::timestamp
  WHERE id = $1 AND status = 'queued' RETURNING id
)
SELECT t."teamId", t.prompt, t.status::text AS status, t."requireApproval", t.plan,
  EXISTS (SELECT 1 FROM started) AS started,
  ${pinnedCustomAgentRowsSql('t."teamId"', `t."runConfig" -> 'agentVersions'`)} AS "customAgents",
  ${taskModelSettingsSql("$1")} AS "modelSettings",
  (SELECT COALESCE(json_agg(json_build_object('id', e.id, 'stepKey', e."stepKey", 'output', e.output, 'modelId', e."modelId")), '[]'::json)
   FROM "AgentExecution" e WHERE e."taskId" = t.id AND e."reusedFromId" IS NOT NULL AND e.status = 'completed') AS reused
FROM "Task" t WHERE t.id = $1`;

export interface StartedTaskRow {
  teamId: string;
  prompt: string;
  status: string;
  requireApproval: boolean;
  plan: Json;
  started: boolean;
  customAgents: CustomAgentRow[];
  /** Read with the start, so the planner's model needs no query of its own. */
  modelSettings: TaskModelSettings;
  reused: Array<{ id: string; stepKey: string; output: Json; modelId: string | null }>;
}

export async function startQueuedTask(taskId: string): Promise<StartedTaskRow | undefined> {
  const { rows } = await query<StartedTaskRow>(START_TASK, [taskId, new Date().toISOString()]);
  return rows[0];
}

/**
 * Stores the plan and the planner's spend (the task's first), moves the task to awaiting
 * approval when it asks for it, and appends `task.planned` — one statement, and only while the
 * task is still running. Returns the task's status when nothing was stored.
 */
const STORE_PLAN = `WITH planned AS (
  UPDATE "Task" SET plan = $2::jsonb,
    "inputTokens" = "inputTokens" + $3, "outputTokens" = "outputTokens" + $4, "costUsd" = "costUsd" + $5::numeric,
    status = CASE WHEN $6 THEN 'awaiting_approval'::"TaskStatus" ELSE status END,
    "approvalDueAt" = CASE WHEN $6 THEN $7::timestamp ELSE "approvalDueAt" END,
    "updatedAt" = $8::timestamp, "lastSeq" = "lastSeq" + 1
  WHERE id = $1 AND status = 'running' RETURNING "lastSeq"
), appended AS (
  INSERT INTO "RunEvent" ("taskId", seq, type, payload) SELECT $1, "lastSeq", 'task.planned', $9::jsonb FROM planned RETURNING "taskId", seq, "createdAt"
)
SELECT t.status::text AS status, ${APPENDED_COLUMNS} FROM "Task" t WHERE t.id = $1`;

export async function storeTaskPlan(task: {
  id: string;
  plan: Prisma.InputJsonObject;
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  awaitingApproval: boolean;
  approvalDueAt: Date | null;
  plannedEventPayload: Record<string, unknown>;
}): Promise<{ status: string } & AppendedEvents> {
  const { rows } = await query<{ status: string } & AppendedEvents>(STORE_PLAN, [
    task.id,
    JSON.stringify(task.plan),
    task.usage.inputTokens,
    task.usage.outputTokens,
    task.usage.costUsd,
    task.awaitingApproval,
    task.approvalDueAt?.toISOString() ?? null,
    new Date().toISOString(),
    JSON.stringify(task.plannedEventPayload),
  ]);
  return rows[0]!;
}

/** The stored approval decision, with the status and plan it is read with. */
export async function findTaskApproval(taskId: string) {
  return getDb().task.findUniqueOrThrow({ where: { id: taskId }, select: { status: true, approval: true, plan: true } });
}

export async function findTaskPlan(taskId: string): Promise<Json> {
  const task = await getDb().task.findUniqueOrThrow({ where: { id: taskId }, select: { plan: true } });
  return task.plan;
}

/** Replaces the plan of a task that is still running (one that grew follow-up steps). */
export async function updatePlanOfRunningTask(taskId: string, plan: Prisma.InputJsonObject): Promise<void> {
  await getDb().task.updateMany({ where: { id: taskId, status: "running" }, data: { plan } });
}

/**
 * What the task has spent so far: its own usage (the planner's) plus its executions', and when
 * it started. Undefined when the task does not exist.
 */
export async function sumTaskSpend(taskId: string) {
  const { rows } = await query<{
    inputTokens: number;
    outputTokens: number;
    costUsd: string;
    executionsCostUsd: string;
    startedAt: string | null;
    /** The sum of the task's ModelCall rows (calls 0 when none were recorded). */
    modelCalls: { calls: number; inputTokens: number; outputTokens: number; costUsd: number };
  }>(
    `SELECT t."inputTokens" + COALESCE(sum(e."inputTokens"), 0)::int AS "inputTokens",
            t."outputTokens" + COALESCE(sum(e."outputTokens"), 0)::int AS "outputTokens",
            t."costUsd"::text AS "costUsd", COALESCE(sum(e."costUsd"), 0)::text AS "executionsCostUsd",
            ${utcIsoSql('t."startedAt"')} AS "startedAt",
            (SELECT json_build_object('calls', count(*), 'inputTokens', COALESCE(sum(m."inputTokens"), 0),
               'outputTokens', COALESCE(sum(m."outputTokens"), 0), 'costUsd', COALESCE(sum(m."costUsd"), 0))
             FROM "ModelCall" m WHERE m."taskId" = t.id) AS "modelCalls"
     FROM "Task" t LEFT JOIN "AgentExecution" e ON e."taskId" = t.id WHERE t.id = $1 GROUP BY t.id`,
    [taskId],
  );
  return rows[0];
}

/**
 * Moves a task whose status is one of `from` to a final status and appends `event`, in one
 * statement; appends nothing (firstSeq null) when the task was not in one of those statuses.
 * `finished` is the task's team and final status when it is finished now — by this statement, or
 * already (so a step that re-runs after a crash can still announce it) — and null otherwise.
 */
export async function markTaskFinished(
  taskId: string,
  data: {
    status: "completed" | "failed" | "cancelled" | "budget_exceeded";
    error: string | null;
    output?: Prisma.InputJsonObject;
    inputTokens?: number;
    outputTokens?: number;
    costUsd?: number;
    completedAt?: Date;
  },
  event: { type: "task.completed" | "task.failed" | "task.cancelled" | "task.budget_exceeded"; payload: Record<string, unknown> },
  from: readonly TaskStatus[],
): Promise<AppendedEvents & { finished: { teamId: string; status: FinishedTaskStatus } | null }> {
  const completedAt = data.completedAt ?? new Date();
  const { rows } = await query<
    AppendedEvents & { durationSeconds: number | null; trace: FinishedTaskTrace | null; before: { teamId: string; status: string } | null }
  >(
    `WITH finished AS (
       UPDATE "Task" SET status = $2::"TaskStatus", error = $3, "completedAt" = $4::timestamp, "updatedAt" = $5::timestamp,
         output = COALESCE($6::jsonb, output), "inputTokens" = COALESCE($7, "inputTokens"), "outputTokens" = COALESCE($8, "outputTokens"),
         "costUsd" = COALESCE($9::numeric, "costUsd"), "lastSeq" = "lastSeq" + 1
       WHERE id = $1 AND status = ANY($10::"TaskStatus"[]) RETURNING "lastSeq", "createdAt", "teamId", "traceId", "traceParentSpanId"
     ), appended AS (
       INSERT INTO "RunEvent" ("taskId", seq, type, payload) SELECT $1, "lastSeq", $11, $12::jsonb FROM finished RETURNING "taskId", seq, "createdAt"
     )
     SELECT ${APPENDED_COLUMNS}, (SELECT extract(epoch FROM $4::timestamp - "createdAt")::float8 FROM finished) AS "durationSeconds",
       (SELECT json_build_object('teamId', "teamId", 'traceId', "traceId", 'parentSpanId', "traceParentSpanId", 'createdAt', ${utcIsoSql('"createdAt"')})
          FROM finished WHERE "traceId" IS NOT NULL) AS trace,
       (SELECT json_build_object('teamId', b."teamId", 'status', b.status) FROM "Task" b WHERE b.id = $1) AS "before"`,
    [
      taskId,
      data.status,
      data.error,
      completedAt.toISOString(),
      new Date().toISOString(),
      data.output === undefined ? null : JSON.stringify(data.output),
      data.inputTokens ?? null,
      data.outputTokens ?? null,
      data.costUsd ?? null,
      [...from],
      event.type,
      JSON.stringify(event.payload),
    ],
  );
  const { durationSeconds, trace, before, ...appended } = rows[0]!;
  if (appended.firstSeq !== null) countTaskFinished(data.status, durationSeconds ?? undefined);
  // The statement's snapshot shows the row as it was before its own update.
  const status = appended.firstSeq !== null ? data.status : before?.status;
  const finished =
    before && status && (finishedTaskStatuses as readonly string[]).includes(status)
      ? { teamId: before.teamId, status: status as FinishedTaskStatus }
      : null;
  // The task's span, from its creation to now, in the trace its steps joined.
  if (trace) recordTaskSpan({ taskId, status: data.status, ...trace, createdAt: new Date(trace.createdAt), endedAt: completedAt });
  return { ...appended, finished };
}

/** What a finished task's span needs (recordTaskSpan): read in the statement that finishes it. */
interface FinishedTaskTrace {
  teamId: string;
  traceId: string;
  parentSpanId: string | null;
  createdAt: string;
}

/** The task's status (polled by agents so a cancel in another process stops them); undefined when it does not exist. */
export async function findTaskStatus(taskId: string): Promise<string | undefined> {
  const { rows } = await query<{ status: string }>(`SELECT status FROM "Task" WHERE id = $1`, [taskId]);
  return rows[0]?.status;
}

/**
 * What choosing a task's models needs to know: whether its team and the task itself allow the
 * response cache, who asked (usage is recorded per member), and its budgets.
 */
export interface TaskModelSettings {
  teamId: string;
  createdById: string | null;
  useModelCache: boolean;
  modelCacheEnabled: boolean;
  maxCostUsd: number | null;
  maxTokens: number | null;
  monthlyBudgetUsd: number | null;
  /** The task's own configuration (an experiment's: models, agent versions, tools; server/tasks/task-run-config.ts); null for most tasks. */
  runConfig: Json | null;
}

/**
 * TaskModelSettings as one JSON value, for statements that already touch the task (starting an
 * agent's execution reads them in the same round trip, executions.ts). `$task` is the task's id parameter.
 */
export function taskModelSettingsSql(taskParameter: string): string {
  return `(SELECT jsonb_build_object('teamId', t."teamId", 'createdById', t."createdById", 'useModelCache', t."useModelCache",
       'modelCacheEnabled', team."modelCacheEnabled", 'maxCostUsd', t."budgetUsd"::float8, 'maxTokens', t."maxTokens",
       'monthlyBudgetUsd', team."monthlyBudgetUsd"::float8, 'runConfig', t."runConfig")
     FROM "Task" t JOIN "Team" team ON team.id = t."teamId" WHERE t.id = ${taskParameter})`;
}

/** A task's TaskModelSettings; undefined when the task is gone. */
export async function findTaskModelSettings(taskId: string): Promise<TaskModelSettings | undefined> {
  const { rows } = await query<{ settings: TaskModelSettings | null }>(`SELECT ${taskModelSettingsSql("$1")} AS settings`, [taskId]);
  return rows[0]?.settings ?? undefined;
}
