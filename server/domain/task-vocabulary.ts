/**
 * The names a task's life is described in: its statuses and its run-event types. Plain data
 * with no imports, so the server and the browser (the live view, the list) share one copy.
 */
export const activeTaskStatuses = ["queued", "running", "awaiting_approval"] as const;
export const finishedTaskStatuses = ["completed", "failed", "cancelled", "budget_exceeded"] as const;
export type ActiveTaskStatus = (typeof activeTaskStatuses)[number];

export function isTaskActive(status: string): boolean {
  return (activeTaskStatuses as readonly string[]).includes(status);
}

export const runEventTypes = [
  "task.created",
  "task.planned",
  "task.approved",
  "task.replanned",
  "agent.started",
  "agent.restarted",
  "agent.delta",
  "agent.tool_call",
  "agent.tool_result",
  "agent.tool_approval_requested",
  "agent.tool_decided",
  "agent.completed",
  "agent.failed",
  "task.progress",
  "task.completed",
  "task.failed",
  "task.cancelled",
  "task.budget_warning",
  "task.budget_exceeded",
] as const;

/** The run-event types that change a task's status: what the team stream carries, and what the task list listens for. */
export const teamStreamEventTypes = [
  "task.created",
  "task.planned",
  "task.approved",
  "task.completed",
  "task.failed",
  "task.cancelled",
  "task.budget_exceeded",
] as const;
export type RunEventType = (typeof runEventTypes)[number];

export const terminalEventTypes: readonly RunEventType[] = ["task.completed", "task.failed", "task.cancelled", "task.budget_exceeded"];
