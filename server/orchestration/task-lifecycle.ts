import { z } from "zod";
import {
  findTaskApproval,
  findTaskPlan,
  markTaskFinished,
  startQueuedTask,
  storeTaskPlan,
  sumTaskSpend,
  updatePlanOfRunningTask,
} from "@/server/db/queries/tasks";
import type { InputJsonObject, JsonObject, JsonValue } from "@/server/db/types";
import { getEnv } from "@/server/env";
import { appendRunEvent, publishAppended } from "@/server/events/run-events";
import { aggregateResults, createPlan, planSchema, type Plan, type PlanStep } from "@/server/agents";
import type { AgentStepResult } from "./agent-step";
import { untilCancelled } from "./cancellation";
import { currentAgentVersions, teamAgentsFrom, type RecordedAgentVersion } from "./team-agents";
import { activeTaskStatuses, type ActiveTaskStatus } from "@/server/domain/task-vocabulary";
import { settleUsageRecords } from "@/server/llm/usage-recording";
import { modelForTask } from "./task-models";
import { sendTaskFinished } from "@/inngest/client";

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
  /**
   * The version of each team agent as the task was planned, by kind: every step runs that
   * version, whatever is edited meanwhile. Absent in runs planned before versions existed.
   */
  agentVersions?: Record<string, RecordedAgentVersion>;
}

export type PlanOutcome = ({ state: "planned" } & PlannedTask) | { state: "stopped"; status: string };

const recordedVersionsSchema = z.record(z.string(), z.object({ id: z.string(), version: z.number().int() }));

/** The agent versions a stored plan recorded (a rerun's, or a "try it" task's), if any. */
function recordedAgentVersionsOf(plan: JsonValue): Record<string, RecordedAgentVersion> | undefined {
  const parsed = recordedVersionsSchema.safeParse((plan as { agentVersions?: unknown } | null)?.agentVersions);
  return parsed.success ? parsed.data : undefined;
}

async function storedPlanOf(task: { plan: JsonValue }): Promise<Plan | undefined> {
  const parsed = planSchema.safeParse((task.plan as { steps?: unknown } | null) ?? undefined);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The plan step: starts a queued task (a task already running is a resumed step), plans it
 * with the team's agents — or takes the stored plan of a rerun — and stores the plan, moving the
 * task to awaiting approval when it asks for it.
 */
export async function startAndPlanTask(taskId: string): Promise<PlanOutcome> {
  const task = await startQueuedTask(taskId);
  if (!task) throw new Error(`Task ${taskId} does not exist`);
  if (!task.started && task.status !== "running") return { state: "stopped", status: task.status };

  const rerunPlan = await storedPlanOf(task);
  const agents = teamAgentsFrom(task.customAgents);
  let stored: InputJsonObject;
  let plan: Plan;
  let usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  if (rerunPlan) {
    plan = rerunPlan;
    stored = { ...(task.plan as JsonObject) };
  } else {
    const model = await modelForTask(taskId, { role: "planner" }, task.modelSettings);
    const planned = await untilCancelled(taskId, (abortSignal) => createPlan({ prompt: task.prompt, agents, abortSignal, model }));
    plan = planned.plan;
    stored = { steps: planned.plan.steps, source: planned.source, notes: planned.notes };
    usage = { ...planned.usage, costUsd: planned.costUsd };
  }
  // Recorded with the plan, so a rerun of this task runs the same versions.
  const agentVersions = recordedAgentVersionsOf(task.plan) ?? currentAgentVersions(task.customAgents);
  stored = { ...stored, agentVersions };
  const awaitingApproval = task.requireApproval;
  const approvalDueAt = awaitingApproval ? new Date(Date.now() + getEnv().CHORUS_APPROVAL_TIMEOUT_SECONDS * 1000) : null;
  const event = { ...stored, awaitingApproval, approvalDueAt: approvalDueAt?.toISOString() ?? null };
  // The planner's own usage is the task's first spend; agents and aggregation add to it.
  const planned = await storeTaskPlan({ id: taskId, plan: stored, usage, awaitingApproval, approvalDueAt, plannedEventPayload: event });
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
  return {
    state: "planned",
    taskId,
    teamId: task.teamId,
    prompt: task.prompt,
    plan,
    awaitingApproval,
    reused,
    agents: agents.map(({ kind, name, description }) => ({ kind, name, description })),
    agentVersions,
  };
}

export type ApprovalOutcome = { state: "approved"; plan: Plan } | { state: "rejected" | "pending" | "stopped" };

/** Reads the stored approval decision (the API stores it before it sends the event). */
export async function readApproval(taskId: string): Promise<ApprovalOutcome> {
  const task = await findTaskApproval(taskId);
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
  return finishTask(taskId, { status: "failed", error: message }, "task.failed", { error: message, reason: "approval_expired" }, [
    "awaiting_approval",
  ]);
}

/** Stores a plan that grew follow-up steps, and tells the stream. */
export async function storeExtendedPlan(taskId: string, plan: Plan, added: PlanStep[]) {
  const stored = { ...((await findTaskPlan(taskId)) as JsonObject), steps: plan.steps };
  await updatePlanOfRunningTask(taskId, stored);
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
  const model = await modelForTask(task.taskId, { role: "aggregator" });
  const aggregated = await untilCancelled(task.taskId, (abortSignal) =>
    aggregateResults({ taskPrompt: task.prompt, outputs: ordered, abortSignal, model }),
  );
  await settleUsageRecords();
  const spent = await sumTaskSpend(task.taskId);
  if (!spent) throw new Error(`Task ${task.taskId} does not exist`);
  // Every recorded model call, when calls were recorded (failed attempts included); else the per-step totals.
  const calls = spent.modelCalls;
  const usage =
    calls.calls > 0
      ? { inputTokens: calls.inputTokens, outputTokens: calls.outputTokens, costUsd: Number(calls.costUsd) }
      : {
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
  const { approval: stored } = await findTaskApproval(taskId);
  const approval = stored as { by?: string; reason?: string } | null;
  const message = `Plan rejected${approval?.reason ? `: ${approval.reason}` : ""}`;
  return finishTask(taskId, { status: "cancelled", error: message }, "task.cancelled", { reason: "plan_rejected", error: message });
}

/**
 * Moves an active task to a final status once, and logs the event only if it did: one statement.
 * Whenever the task is finished afterwards — by this call or before it (a step re-run after a
 * crash) — `chorus/task.finished` is sent; its id makes a repeat harmless.
 */
async function finishTask(
  taskId: string,
  data: {
    status: "completed" | "failed" | "cancelled";
    error: string | null;
    output?: InputJsonObject;
    inputTokens?: number;
    outputTokens?: number;
    costUsd?: number;
    completedAt?: Date;
  },
  eventType: "task.completed" | "task.failed" | "task.cancelled",
  payload: Record<string, unknown>,
  from: readonly ActiveTaskStatus[] = activeTaskStatuses,
) {
  const appended = await markTaskFinished(taskId, data, { type: eventType, payload }, from);
  if (appended.finished) await sendTaskFinished({ taskId, ...appended.finished });
  if (appended.firstSeq === null || appended.appendedAt === null) return { status: "unchanged" as const };
  publishAppended(taskId, [{ type: eventType, payload }], { firstSeq: appended.firstSeq, appendedAt: appended.appendedAt });
  return { status: data.status };
}
