import { listCompletedExecutions } from "@/server/db/queries/executions";
import { recordAudit } from "@/server/audit/record-audit";
import { cancelAwaitingToolCalls } from "@/server/db/queries/tool-calls";
import { insertRerunTask, markTaskApproved, markTaskCancelled, markTaskRejected } from "@/server/db/queries/tasks";
import type { InputJsonObject, JsonObject } from "@/server/db/types";
import { actorOf, requirePermission, type Caller } from "@/server/auth/caller";
import { AppError } from "@/server/errors";
import { appendRunEvent } from "@/server/events/run-events";
import { sendPlanDecided, sendTaskCancelled, sendTaskFinished } from "@/inngest/client";
import { planSchema, validatePlan, type Plan } from "@/server/agents";
import { loadTeamAgents } from "@/server/orchestration/team-agents";
import { parseInput } from "@/server/validation";
import { logger } from "@/server/observability/logger";
import { activeTaskStatuses, isTaskActive } from "@/server/domain/task-vocabulary";
import { approveTaskInput, rejectTaskInput, rerunTaskInput } from "./task-schemas";
import { getTask, loadTaskInTeam, scheduleTask } from "./tasks";
import type { TaskView } from "./task-views";
import { taskTraceOrigin, type TaskTraceOrigin } from "@/server/observability/tracing";

/**
 * What a member does to a task after submitting it: approve or reject its plan, cancel it,
 * rerun it from a step. Each checks the caller's team and role, and the task's state: acting
 * on a task in the wrong state is a 409 that says what state it is in.
 */

/** Each action as the message says it was done to a task. */
const doneForm = { approve: "approved", reject: "rejected", cancel: "cancelled", rerun: "rerun" } as const;

function wrongState(action: keyof typeof doneForm, status: string, allowed: string): never {
  throw new AppError(
    "conflict",
    `Cannot ${action} a task that is ${status.replace("_", " ")}; only ${allowed} tasks can be ${doneForm[action]}`,
    "status",
  );
}

function approvalClosed(dueAt: Date): never {
  throw new AppError(
    "conflict",
    `Cannot approve: the approval window closed at ${dueAt.toISOString()}, and the task is failed as not approved`,
    "status",
  );
}

export async function approveTask(caller: Caller, id: string, rawInput: unknown): Promise<TaskView> {
  requirePermission(caller, "execute");
  const input = parseInput(approveTaskInput, rawInput);
  const task = await loadTaskInTeam(caller, id);
  if (task.status !== "awaiting_approval") wrongState("approve", task.status, "awaiting-approval");
  if (task.approvalDueAt && task.approvalDueAt.getTime() <= Date.now()) approvalClosed(task.approvalDueAt);

  let storedPlan = task.plan as JsonObject;
  if (input.plan !== undefined) {
    const agents = await loadTeamAgents(task.teamId);
    const checked = validatePlan(input.plan, { knownAgents: agents.map((agent) => agent.kind) });
    if (!checked.ok) throw new AppError("bad_request", `plan is invalid: ${checked.errors.join("; ")}`, "plan");
    storedPlan = { ...storedPlan, steps: checked.plan.steps, edited: true };
  }
  // Only while the wait is open: once it has run out, the coordinator fails the task as not approved.
  const decided = await markTaskApproved({
    teamId: task.teamId,
    id: task.id,
    plan: storedPlan,
    approval: { approved: true, edited: input.plan !== undefined, ...actorOf(caller), at: new Date().toISOString() },
  });
  if (!decided) {
    const now = await loadTaskInTeam(caller, id);
    if (now.status === "awaiting_approval" && now.approvalDueAt) approvalClosed(now.approvalDueAt);
    wrongState("approve", now.status, "awaiting-approval");
  }
  await appendRunEvent(id, "task.approved", { steps: storedPlan.steps, edited: input.plan !== undefined });
  await recordAudit(caller, {
    action: "task.approved",
    target: { type: "task", id: task.id },
    details: { edited: input.plan !== undefined },
  });
  await sendPlanDecided({ taskId: id, approved: true });
  return getTask(caller, id);
}

export async function rejectTask(caller: Caller, id: string, rawInput: unknown): Promise<TaskView> {
  requirePermission(caller, "execute");
  const input = parseInput(rejectTaskInput, rawInput);
  const task = await loadTaskInTeam(caller, id);
  if (task.status !== "awaiting_approval") wrongState("reject", task.status, "awaiting-approval");
  const message = `Plan rejected${input.reason ? `: ${input.reason}` : ""}`;
  const decided = await markTaskRejected({
    teamId: task.teamId,
    id: task.id,
    error: message,
    approval: { approved: false, reason: input.reason ?? null, ...actorOf(caller), at: new Date().toISOString() },
  });
  if (!decided) wrongState("reject", (await loadTaskInTeam(caller, id)).status, "awaiting-approval");
  await appendRunEvent(id, "task.cancelled", { reason: "plan_rejected", error: message });
  await recordAudit(caller, {
    action: "task.rejected",
    target: { type: "task", id: task.id },
    details: { withReason: Boolean(input.reason) },
  });
  await Promise.all([
    sendPlanDecided({ taskId: id, approved: false }),
    sendTaskFinished({ taskId: id, teamId: task.teamId, status: "cancelled" }),
  ]);
  return getTask(caller, id);
}

export async function cancelTask(caller: Caller, id: string): Promise<TaskView> {
  requirePermission(caller, "execute");
  const task = await loadTaskInTeam(caller, id);
  const cancelled = await markTaskCancelled({ teamId: task.teamId, id: task.id, error: "Cancelled", from: activeTaskStatuses });
  if (!cancelled) wrongState("cancel", task.status, "queued, running or awaiting-approval");
  // Steps parked at tool approvals run no code to notice the cancel: end their calls and executions here.
  await cancelAwaitingToolCalls(task.teamId, task.id);
  // The event stops in-process agents at once (their model calls are aborted); other
  // processes' agents see the status within half a second.
  await appendRunEvent(id, "task.cancelled", { reason: "cancelled", ...actorOf(caller) });
  await recordAudit(caller, { action: "task.cancelled", target: { type: "task", id: task.id }, details: { from: task.status } });
  try {
    await sendTaskCancelled({ taskId: id, teamId: task.teamId });
  } catch (error) {
    logger.warn("cancel event not delivered; agents stop on their status check", { taskId: id, error });
  }
  return getTask(caller, id);
}

/** Steps that must run again: `fromStep` and everything downstream of it. */
function downstreamOf(plan: Plan, fromStep: string): Set<string> {
  const rerun = new Set([fromStep]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const step of plan.steps) {
      if (!rerun.has(step.id) && step.dependsOn.some((dependency) => rerun.has(dependency))) {
        rerun.add(step.id);
        grew = true;
      }
    }
  }
  return rerun;
}

export async function rerunTask(caller: Caller, id: string, rawInput: unknown): Promise<TaskView> {
  requirePermission(caller, "execute");
  const input = parseInput(rerunTaskInput, rawInput);
  const original = await loadTaskInTeam(caller, id);
  if (isTaskActive(original.status)) wrongState("rerun", original.status, "completed, failed or cancelled");
  const parsedPlan = planSchema.safeParse(original.plan);
  if (!parsedPlan.success)
    throw new AppError("conflict", "This task never got a plan, so there is no step to rerun from; submit it again instead", "fromStep");
  const plan = parsedPlan.data;
  if (!plan.steps.some((step) => step.id === input.fromStep)) {
    throw new AppError(
      "bad_request",
      `fromStep must be one of the plan's steps: ${plan.steps.map((step) => step.id).join(", ")}`,
      "fromStep",
    );
  }
  const steps = plan.steps.map((step) => (step.id === input.fromStep && input.input ? { ...step, subtask: input.input } : step));
  const rerun = downstreamOf(plan, input.fromStep);
  // The rerun runs the team-agent versions the original recorded when it was planned.
  const { agentVersions } = (original.plan ?? {}) as { agentVersions?: InputJsonObject };

  const executions = await listCompletedExecutions(original.teamId, original.id);
  const reusable = new Map<string, (typeof executions)[number]>();
  for (const execution of executions)
    if (!rerun.has(execution.stepKey) && !reusable.has(execution.stepKey)) reusable.set(execution.stepKey, execution);

  const task = await insertRerunTask({
    teamId: original.teamId,
    createdById: caller.userId,
    apiKeyId: caller.apiKeyId,
    prompt: original.prompt,
    template: original.template,
    parentTaskId: original.id,
    rerunFromStep: input.fromStep,
    // A task that needed its plan approved needs it again: the rerun may change a step's input,
    // and a rejected plan must not run because someone reran it.
    requireApproval: original.requireApproval,
    // …and one that asked for fresh model answers (cache: false) asks again.
    useModelCache: original.useModelCache,
    // …and one with a budget has the same budget again, counted afresh.
    budgetUsd: original.budgetUsd,
    maxTokens: original.maxTokens,
    // …and one run under an experiment's configuration (models, tools) runs under it again.
    ...(original.runConfig === null ? {} : { runConfig: original.runConfig as InputJsonObject }),
    plan: {
      steps,
      source: "rerun",
      notes: [`Rerun of ${original.id} from step "${input.fromStep}"${input.input ? " with a new instruction" : ""}`],
      ...(agentVersions ? { agentVersions } : {}),
    },
    reused: reusable.values(),
    // The request's trace, when tracing is on (as a new task's).
    ...traceColumnsOf(taskTraceOrigin()),
  });
  await appendRunEvent(task.id, "task.created", { rerunOf: original.id, fromStep: input.fromStep, reusedSteps: [...reusable.keys()] });
  await recordAudit(caller, {
    action: "task.rerun",
    target: { type: "task", id: original.id },
    details: { newTaskId: task.id, fromStep: input.fromStep, newInstruction: Boolean(input.input) },
  });
  await scheduleTask(task);
  return getTask(caller, task.id);
}

function traceColumnsOf(origin: TaskTraceOrigin | undefined) {
  return origin ? { traceId: origin.traceId, traceParentSpanId: origin.parentSpanId } : {};
}
