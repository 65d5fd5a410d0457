import { getDb, query } from "@/server/db/client";
import type { Prisma } from "@/server/db/generated/client";
import { getEnv } from "@/server/env";
import { APPENDED_COLUMNS } from "@/server/db/queries/run-events";
import { appendRunEvent, publishAppended } from "@/server/events/run-events";
import { aggregateResults, createPlan, planSchema, type Plan, type PlanStep } from "@/server/agents";
import type { AgentStepResult } from "./agent-step";
import { untilCancelled } from "./cancellation";
import { customAgentRowsSql, type CustomAgentRow } from "@/server/db/queries/agent-definitions";
import { teamAgentsFrom } from "./team-agents";
import { activeTaskStatuses, type ActiveTaskStatus } from "@/server/domain/task-vocabulary";
import { utcIsoSql } from "@/server/db/stored-time";

/**
 * What the coordinator's steps do to a task. Each function is the body of one durable step:
 * it runs once (its result is memoised by the executor) and writes the task's state and its
 * progress events. State changes are conditional on the task's current status, so a task
 * cancelled meanwhile is never flipped back to running, completed or failed.
 */
export interface PlannedTask {
  taskId: string;
  teamId: string;
  prompt: string;
  plan: Plan;
  awaitingApproval: boolean;
  /** Outputs carried over from the original task when this task is a rerun. */
  reused: Record<string, AgentStepResult>;
  /** The agents this team can use (follow-up requests are checked against them). */
  agents: Array<{ kind: string; name: string; description: string }>;
}

export type PlanOutcome = ({ state: "planned" } & PlannedTask) | { state: "stopped"; status: string };


async function storedPlanOf(task: { plan: Prisma.JsonValue }): Promise<Plan | undefined> {
  const parsed = planSchema.safeParse((task.plan as { steps?: unknown } | null) ?? undefined);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The plan step's reads, in one statement: moves a queued task to running and returns the task,
 * whether this call started it, the team's agent definitions and the outputs a rerun reuses.
 * (The SELECT sees the row as it was before the UPDATE in the same statement.)
 */
const START_TASK = `WITH started AS (
  UPDATE "Task" SET status = 'running', "startedAt" = $2::timestamp, "updatedAt" = $2::timestamp
  WHERE id = $1 AND status = 'queued' RETURNING id
)
SELECT t."teamId", t.prompt, t.status::text AS status, t."requireApproval", t.plan,
  EXISTS (SELECT 1 FROM started) AS started,
  ${customAgentRowsSql('t."teamId"')} AS "customAgents",
  (SELECT COALESCE(json_agg(json_build_object('id', e.id, 'stepKey', e."stepKey", 'output', e.output, 'modelId', e."modelId")), '[]'::json)
   FROM "AgentExecution" e WHERE e."taskId" = t.id AND e."reusedFromId" IS NOT NULL AND e.status = 'completed') AS reused
FROM "Task" t WHERE t.id = $1`;

interface StartedTaskRow {
  teamId: string;
  prompt: string;
  status: string;
  requireApproval: boolean;
  plan: Prisma.JsonValue;
  started: boolean;
  customAgents: CustomAgentRow[];
  reused: Array<{ id: string; stepKey: string; output: Prisma.JsonValue; modelId: string | null }>;
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

export async function startAndPlanTask(taskId: string): Promise<PlanOutcome> {
  const { rows } = await query<StartedTaskRow>(START_TASK, [taskId, new Date().toISOString()]);
  const task = rows[0];
  if (!task) throw new Error(`Task ${taskId} does not exist`);
  if (!task.started && task.status !== "running") return { state: "stopped", status: task.status };

  const rerunPlan = await storedPlanOf(task);
  const agents = teamAgentsFrom(task.customAgents);
  let stored: Prisma.InputJsonObject;
  let plan: Plan;
  let usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  if (rerunPlan) {
    plan = rerunPlan;
    stored = { ...(task.plan as Prisma.JsonObject) };
  } else {
    const planned = await untilCancelled(taskId, (abortSignal) => createPlan({ prompt: task.prompt, agents, abortSignal }));
    plan = planned.plan;
    stored = { steps: planned.plan.steps, source: planned.source, notes: planned.notes };
    usage = { ...planned.usage, costUsd: planned.costUsd };
  }
  const awaitingApproval = task.requireApproval;
  const approvalDueAt = awaitingApproval ? new Date(Date.now() + getEnv().CHORUS_APPROVAL_TIMEOUT_SECONDS * 1000) : null;
  const event = { ...stored, awaitingApproval, approvalDueAt: approvalDueAt?.toISOString() ?? null };
  // The planner's own usage is the task's first spend; agents and aggregation add to it.
  const { rows: outcome } = await query<{ status: string; firstSeq: number | null; appendedAt: string | null }>(STORE_PLAN, [
    taskId,
    JSON.stringify(stored),
    usage.inputTokens,
    usage.outputTokens,
    usage.costUsd,
    awaitingApproval,
    approvalDueAt?.toISOString() ?? null,
    new Date().toISOString(),
    JSON.stringify(event),
  ]);
  const planned = outcome[0]!;
  if (planned.firstSeq === null || planned.appendedAt === null) return { state: "stopped", status: planned.status };
  publishAppended(taskId, [{ type: "task.planned", payload: event }], { firstSeq: planned.firstSeq, appendedAt: planned.appendedAt });

  const reused: Record<string, AgentStepResult> = {};
  for (const row of task.reused) {
    const output = row.output as { text: string; sources?: Array<{ title: string; url?: string }> };
    reused[row.stepKey] = {
      executionId: row.id,
      text: output.text,
      sources: output.sources ?? [],
      usage: { inputTokens: 0, outputTokens: 0 },
      modelId: row.modelId ?? "reused",
      costUsd: 0,
      followUps: [],
    };
  }
  return { state: "planned", taskId, teamId: task.teamId, prompt: task.prompt, plan, awaitingApproval, reused, agents: agents.map(({ kind, name, description }) => ({ kind, name, description })) };
}

export type ApprovalOutcome = { state: "approved"; plan: Plan } | { state: "rejected" | "pending" | "stopped" };

/** Reads the stored approval decision (the API stores it before it sends the event). */
export async function readApproval(taskId: string): Promise<ApprovalOutcome> {
  const task = await getDb().task.findUniqueOrThrow({ where: { id: taskId }, select: { status: true, approval: true, plan: true } });
  const approval = task.approval as { approved?: boolean } | null;
  if (!approval) return { state: task.status === "awaiting_approval" ? "pending" : "stopped" };
  if (!approval.approved) return { state: "rejected" };
  const plan = await storedPlanOf(task);
  return plan ? { state: "approved", plan } : { state: "stopped" };
}

/**
 * Fails a task whose plan nobody decided on in time — only if it still waits: a decision that
 * landed as the wait ran out leaves it alone ("unchanged"), and the coordinator acts on it.
 */
export async function expireApproval(taskId: string) {
  const message = `The plan was not approved within ${formatSeconds(getEnv().CHORUS_APPROVAL_TIMEOUT_SECONDS)}`;
  return finishTask(taskId, { status: "failed", error: message }, "task.failed", { error: message, reason: "approval_expired" }, ["awaiting_approval"]);
}

/** Stores a plan that grew follow-up steps, and tells the stream. */
export async function storeExtendedPlan(taskId: string, plan: Plan, added: PlanStep[]) {
  const db = getDb();
  const task = await db.task.findUniqueOrThrow({ where: { id: taskId }, select: { plan: true } });
  const stored = { ...(task.plan as Prisma.JsonObject), steps: plan.steps };
  await db.task.updateMany({ where: { id: taskId, status: "running" }, data: { plan: stored } });
  await appendRunEvent(taskId, "task.replanned", { steps: plan.steps, added: added.map((step) => step.id) });
  return { added: added.map((step) => step.id) };
}

function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? "" : "s"}`;
  if (seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? "" : "s"}`;
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}

export async function completeTask(task: PlannedTask, outputs: Record<string, AgentStepResult>) {
  const ordered = task.plan.steps.flatMap((step) => {
    const output = outputs[step.id];
    return output ? [{ stepId: step.id, agentKind: step.agent, text: output.text, sources: output.sources }] : [];
  });
  const aggregated = await untilCancelled(task.taskId, (abortSignal) => aggregateResults({ taskPrompt: task.prompt, outputs: ordered, abortSignal }));
  const { rows } = await query<{ inputTokens: number; outputTokens: number; costUsd: string; executionsCostUsd: string; startedAt: string | null }>(
    `SELECT t."inputTokens" + COALESCE(sum(e."inputTokens"), 0)::int AS "inputTokens",
            t."outputTokens" + COALESCE(sum(e."outputTokens"), 0)::int AS "outputTokens",
            t."costUsd"::text AS "costUsd", COALESCE(sum(e."costUsd"), 0)::text AS "executionsCostUsd",
            ${utcIsoSql('t."startedAt"')} AS "startedAt"
     FROM "Task" t LEFT JOIN "AgentExecution" e ON e."taskId" = t.id WHERE t.id = $1 GROUP BY t.id`,
    [task.taskId],
  );
  const spent = rows[0];
  if (!spent) throw new Error(`Task ${task.taskId} does not exist`);
  const usage = {
    inputTokens: spent.inputTokens + aggregated.usage.inputTokens,
    outputTokens: spent.outputTokens + aggregated.usage.outputTokens,
    costUsd: Number(spent.costUsd) + Number(spent.executionsCostUsd) + aggregated.costUsd,
  };
  const result = { markdown: aggregated.markdown, sources: aggregated.sources.map((source) => ({ ...source })) };
  const completedAt = new Date();
  const durationMs = spent.startedAt ? completedAt.getTime() - Date.parse(spent.startedAt) : null;
  return finishTask(
    task.taskId,
    { status: "completed", output: result, ...usage, completedAt, error: null },
    "task.completed",
    { result, usage, durationMs },
    ["running"],
  );
}

export async function failTask(taskId: string, message: string) {
  return finishTask(taskId, { status: "failed", error: message }, "task.failed", { error: message });
}

export async function rejectedTask(taskId: string) {
  const task = await getDb().task.findUniqueOrThrow({ where: { id: taskId }, select: { approval: true } });
  const approval = task.approval as { by?: string; reason?: string } | null;
  const message = `Plan rejected${approval?.reason ? `: ${approval.reason}` : ""}`;
  return finishTask(taskId, { status: "cancelled", error: message }, "task.cancelled", { reason: "plan_rejected", error: message });
}

/** Moves an active task to a final status once, and logs the event only if it did: one statement. */
async function finishTask(
  taskId: string,
  data: {
    status: "completed" | "failed" | "cancelled";
    error: string | null;
    output?: Prisma.InputJsonObject;
    inputTokens?: number;
    outputTokens?: number;
    costUsd?: number;
    completedAt?: Date;
  },
  eventType: "task.completed" | "task.failed" | "task.cancelled",
  payload: Record<string, unknown>,
  from: readonly ActiveTaskStatus[] = activeTaskStatuses,
) {
  const { rows } = await query<{ firstSeq: number | null; appendedAt: string | null }>(
    `WITH finished AS (
       UPDATE "Task" SET status = $2::"TaskStatus", error = $3, "completedAt" = $4::timestamp, "updatedAt" = $5::timestamp,
         output = COALESCE($6::jsonb, output), "inputTokens" = COALESCE($7, "inputTokens"), "outputTokens" = COALESCE($8, "outputTokens"),
         "costUsd" = COALESCE($9::numeric, "costUsd"), "lastSeq" = "lastSeq" + 1
       WHERE id = $1 AND status = ANY($10::"TaskStatus"[]) RETURNING "lastSeq"
     ), appended AS (
       INSERT INTO "RunEvent" ("taskId", seq, type, payload) SELECT $1, "lastSeq", $11, $12::jsonb FROM finished RETURNING "taskId", seq, "createdAt"
     )
     SELECT ${APPENDED_COLUMNS}`,
    [
      taskId,
      data.status,
      data.error,
      (data.completedAt ?? new Date()).toISOString(),
      new Date().toISOString(),
      data.output === undefined ? null : JSON.stringify(data.output),
      data.inputTokens ?? null,
      data.outputTokens ?? null,
      data.costUsd ?? null,
      [...from],
      eventType,
      JSON.stringify(payload),
    ],
  );
  const appended = rows[0]!;
  if (appended.firstSeq === null || appended.appendedAt === null) return { status: "unchanged" as const };
  publishAppended(taskId, [{ type: eventType, payload }], { firstSeq: appended.firstSeq, appendedAt: appended.appendedAt });
  return { status: data.status };
}
