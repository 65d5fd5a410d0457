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
} satisfies Prisma.AgentExecutionSelect;

type TaskRow = Prisma.TaskGetPayload<{ include: { executions: { select: typeof executionSelect } } }>;
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
    include: { executions: { select: executionSelect } },
  });
  await appendRunEvent(task.id, "task.created", { prompt: task.prompt.slice(0, 200) });
  try {
    await sendTaskCreated({ taskId: task.id, teamId: task.teamId });
  } catch (error) {
    logger.error("could not schedule task", { taskId: task.id, error });
    await db.task.update({ where: { id: task.id }, data: { status: "failed", error: "Chorus could not schedule this task; try again." } });
    await appendRunEvent(task.id, "task.failed", { error: "Chorus could not schedule this task; try again." });
    throw new AppError("unavailable", "The task was stored but could not be scheduled; try again shortly");
  }
  return presentTask(task);
}

export async function getTask(caller: Caller, id: unknown): Promise<TaskView> {
  requirePermission(caller, "read");
  const parsed = taskIdSchema.safeParse(id);
  if (!parsed.success) throw new AppError("not_found", "Task not found", "id");
  const task = await getDb().task.findFirst({
    where: { id: parsed.data, teamId: caller.teamId },
    include: { executions: { select: executionSelect, orderBy: [{ createdAt: "asc" }, { attempt: "asc" }] } },
  });
  if (!task) throw new AppError("not_found", "Task not found", "id");
  return presentTask(task);
}

/** Confirms the task exists in the caller's team (for streams) without loading it whole. */
export async function assertTaskInTeam(caller: Caller, id: unknown): Promise<string> {
  requirePermission(caller, "read");
  const parsed = taskIdSchema.safeParse(id);
  if (!parsed.success) throw new AppError("not_found", "Task not found", "id");
  const task = await getDb().task.findFirst({ where: { id: parsed.data, teamId: caller.teamId }, select: { id: true } });
  if (!task) throw new AppError("not_found", "Task not found", "id");
  return task.id;
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
