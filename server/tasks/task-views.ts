import type { TaskSummaryRow, TaskViewRow } from "@/server/db/queries/tasks";
import type { TaskListRow } from "@/server/db/queries/task-list";
import type { TaskListItemView, TaskSummaryView, TaskView } from "./task-view-schemas";

/**
 * How the API and the dashboard show a task: the rows server/db/queries/tasks.ts reads, shaped
 * into the views every surface returns (REST, tRPC, server components). No rules, no queries.
 * Their shapes are the schemas in task-view-schemas.ts, which the OpenAPI document publishes.
 */

function durationMs(task: { status: string; startedAt: string | null; completedAt: string | null }): number | null {
  // A plan waiting for a person is not work in progress: no clock that grows while nobody decides.
  if (!task.startedAt || task.status === "awaiting_approval") return null;
  return (task.completedAt ? Date.parse(task.completedAt) : Date.now()) - Date.parse(task.startedAt);
}

export function presentTaskSummary(task: TaskSummaryRow): TaskSummaryView {
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

export function presentTaskListItem(task: TaskListRow): TaskListItemView {
  return {
    ...presentTaskSummary(task),
    parentTaskId: task.parentTaskId,
    submitter: task.submitterType && task.submitterId ? { type: task.submitterType, id: task.submitterId, name: task.submitterName } : null,
  };
}

export function presentTask(task: TaskViewRow): TaskView {
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
      input: execution.input,
      output: execution.output,
      error: execution.error,
      reusedFromId: execution.reusedFromId,
      agentVersion: execution.agentVersion,
      usage: { inputTokens: execution.inputTokens, outputTokens: execution.outputTokens, costUsd: Number(execution.costUsd) },
      cached: execution.cached,
      startedAt: execution.startedAt,
      completedAt: execution.completedAt,
      toolCalls: execution.toolCalls,
    })),
    traceId: task.traceId,
  };
}

/** A task just created: no plan, executions or reruns yet. */
export function presentNewTask(task: TaskSummaryRow & { traceId?: string | null }) {
  return presentTask({
    traceId: null,
    ...task,
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

export type { TaskListItemView, TaskSummaryView, TaskView };
