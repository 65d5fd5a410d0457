import { getDb } from "@/server/db/client";
import type { Prisma } from "@/server/db/generated/client";
import { getEnv } from "@/server/env";
import { appendRunEvent } from "@/server/events/run-events";
import { aggregateResults, createPlan, planSchema, type Plan, type PlanStep } from "@/server/agents";
import type { AgentStepResult } from "./agent-step";
import { loadTeamAgents } from "./team-agents";
import { activeTaskStatuses, type ActiveTaskStatus } from "@/server/tasks/task-vocabulary";

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

export async function startAndPlanTask(taskId: string): Promise<PlanOutcome> {
  const db = getDb();
  const started = await db.task.updateMany({ where: { id: taskId, status: "queued" }, data: { status: "running", startedAt: new Date() } });
  const task = await db.task.findUniqueOrThrow({ where: { id: taskId } });
  if (started.count === 0 && task.status !== "running") return { state: "stopped", status: task.status };

  const rerunPlan = await storedPlanOf(task);
  const agents = await loadTeamAgents(task.teamId);
  let stored: Prisma.InputJsonObject;
  let plan: Plan;
  let usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  if (rerunPlan) {
    plan = rerunPlan;
    stored = { ...(task.plan as Prisma.JsonObject) };
  } else {
    const planned = await createPlan({ prompt: task.prompt, agents });
    plan = planned.plan;
    stored = { steps: planned.plan.steps, source: planned.source, notes: planned.notes };
    usage = { ...planned.usage, costUsd: planned.costUsd };
  }
  const awaitingApproval = task.requireApproval;
  const approvalDueAt = awaitingApproval ? new Date(Date.now() + getEnv().CHORUS_APPROVAL_TIMEOUT_SECONDS * 1000) : null;
  // The planner's own usage is the task's first spend; agents and aggregation add to it.
  const updated = await db.task.updateMany({
    where: { id: taskId, status: "running" },
    data: {
      plan: stored,
      inputTokens: { increment: usage.inputTokens },
      outputTokens: { increment: usage.outputTokens },
      costUsd: { increment: usage.costUsd },
      ...(awaitingApproval ? { status: "awaiting_approval", approvalDueAt } : {}),
    },
  });
  if (updated.count === 0) return { state: "stopped", status: (await db.task.findUniqueOrThrow({ where: { id: taskId } })).status };
  await appendRunEvent(taskId, "task.planned", { ...stored, awaitingApproval, approvalDueAt: approvalDueAt?.toISOString() ?? null });

  const reusedRows = await db.agentExecution.findMany({ where: { taskId, reusedFromId: { not: null }, status: "completed" } });
  const reused: Record<string, AgentStepResult> = {};
  for (const row of reusedRows) {
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

export async function expireApproval(taskId: string) {
  const message = `The plan was not approved within ${formatSeconds(getEnv().CHORUS_APPROVAL_TIMEOUT_SECONDS)}`;
  return finishTask(taskId, { status: "failed", error: message }, "task.failed", { error: message, reason: "approval_expired" });
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
  const aggregated = await aggregateResults({ taskPrompt: task.prompt, outputs: ordered });
  const db = getDb();
  const [totals, planning] = await Promise.all([
    db.agentExecution.aggregate({ where: { taskId: task.taskId }, _sum: { inputTokens: true, outputTokens: true, costUsd: true } }),
    db.task.findUniqueOrThrow({ where: { id: task.taskId }, select: { inputTokens: true, outputTokens: true, costUsd: true, startedAt: true } }),
  ]);
  const usage = {
    inputTokens: planning.inputTokens + (totals._sum.inputTokens ?? 0) + aggregated.usage.inputTokens,
    outputTokens: planning.outputTokens + (totals._sum.outputTokens ?? 0) + aggregated.usage.outputTokens,
    costUsd: Number(planning.costUsd) + Number(totals._sum.costUsd ?? 0) + aggregated.costUsd,
  };
  const result = { markdown: aggregated.markdown, sources: aggregated.sources.map((source) => ({ ...source })) };
  const completedAt = new Date();
  const durationMs = planning.startedAt ? completedAt.getTime() - planning.startedAt.getTime() : null;
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

/** Moves an active task to a final status once, and logs the event only if it did. */
async function finishTask(
  taskId: string,
  data: Prisma.TaskUpdateManyMutationInput & { status: "completed" | "failed" | "cancelled" },
  eventType: "task.completed" | "task.failed" | "task.cancelled",
  payload: Record<string, unknown>,
  from: readonly ActiveTaskStatus[] = activeTaskStatuses,
) {
  const changed = await getDb().task.updateMany({
    where: { id: taskId, status: { in: [...from] } },
    data: { completedAt: new Date(), ...data },
  });
  if (changed.count === 0) return { status: "unchanged" as const };
  await appendRunEvent(taskId, eventType, payload);
  return { status: data.status };
}
