import { getDb } from "@/server/db/client";
import type { Prisma } from "@/server/db/generated/client";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { AppError } from "@/server/errors";
import { appendRunEvent } from "@/server/events/run-events";
import { sendTaskCreated } from "@/inngest/client";
import { logger } from "@/server/observability/logger";
import { createTaskInput, listTasksInput, taskId as taskIdSchema } from "./task-schemas";
import { parseInput } from "@/server/http/validation";

/** Task use-cases. Every function takes the caller first and filters by the caller's team. */

const executionSelect = {
  id: true,
  stepKey: true,
  agentKind: true,
  status: true,
  attempt: true,
  modelId: true,
  output: true,
  error: true,
  inputTokens: true,
  outputTokens: true,
  costUsd: true,
  startedAt: true,
  completedAt: true,
  reusedFromId: true,
} satisfies Prisma.AgentExecutionSelect;

const taskInclude = {
  executions: { select: executionSelect, orderBy: [{ createdAt: "asc" }, { attempt: "asc" }] },
  reruns: { select: { id: true }, orderBy: { createdAt: "asc" } },
} satisfies Prisma.TaskInclude;

type TaskRow = Prisma.TaskGetPayload<{ include: typeof taskInclude }>;
type TaskSummaryRow = Prisma.TaskGetPayload<object>;

function durationMs(task: { startedAt: Date | null; completedAt: Date | null; createdAt: Date }): number | null {
  if (!task.startedAt) return null;
  return (task.completedAt ?? new Date()).getTime() - task.startedAt.getTime();
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
    createdAt: task.createdAt.toISOString(),
    startedAt: task.startedAt?.toISOString() ?? null,
    completedAt: task.completedAt?.toISOString() ?? null,
    durationMs: durationMs(task),
  };
}

export function presentTask(task: TaskRow) {
  return {
    ...presentTaskSummary(task),
    parentTaskId: task.parentTaskId,
    rerunFromStep: task.rerunFromStep,
    reruns: task.reruns.map((rerun) => rerun.id),
    approval: task.approval,
    approvalDueAt: task.approvalDueAt?.toISOString() ?? null,
    plan: task.plan,
    result: task.status === "completed" ? task.output : null,
    executions: task.executions.map((execution) => ({
      id: execution.id,
      stepId: execution.stepKey,
      agent: execution.agentKind,
      status: execution.status,
      attempt: execution.attempt,
      modelId: execution.modelId,
      output: execution.output,
      error: execution.error,
      reusedFromId: execution.reusedFromId,
      usage: { inputTokens: execution.inputTokens, outputTokens: execution.outputTokens, costUsd: Number(execution.costUsd) },
      startedAt: execution.startedAt?.toISOString() ?? null,
      completedAt: execution.completedAt?.toISOString() ?? null,
    })),
  };
}
export type TaskView = ReturnType<typeof presentTask>;
export type TaskSummaryView = ReturnType<typeof presentTaskSummary>;

export async function createTask(caller: Caller, rawInput: unknown): Promise<TaskView> {
  requirePermission(caller, "execute");
  const input = parseInput(createTaskInput, rawInput);
  const db = getDb();
  const task = await db.task.create({
    data: {
      teamId: caller.teamId,
      createdById: caller.userId,
      apiKeyId: caller.apiKeyId,
      prompt: input.prompt,
      template: input.template,
      requireApproval: input.requireApproval,
    },
    include: taskInclude,
  });
  await appendRunEvent(task.id, "task.created", { prompt: task.prompt.slice(0, 200) });
  await scheduleTask(task);
  return presentTask(task);
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
  const task = await getDb().task.findFirst({ where: taskInTeam(caller, id), include: taskInclude });
  if (!task) throw taskNotFound();
  return presentTask(task);
}

/** Confirms the task exists in the caller's team (for streams) without loading it whole. */
export async function assertTaskInTeam(caller: Caller, id: unknown): Promise<string> {
  requirePermission(caller, "read");
  const task = await getDb().task.findFirst({ where: taskInTeam(caller, id), select: { id: true } });
  if (!task) throw taskNotFound();
  return task.id;
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
  const rows = await getDb().task.findMany({
    where: { teamId: caller.teamId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
  });
  const page = rows.slice(0, input.limit);
  return { tasks: page.map(presentTaskSummary), nextCursor: rows.length > input.limit ? page.at(-1)?.id ?? null : null };
}
