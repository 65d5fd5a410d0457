import { insertRunningExecution, markExecutionCompleted } from "@/server/db/queries/executions";
import type { NewRunEvent } from "@/server/db/queries/run-events";
import type { TaskModelSettings } from "@/server/db/queries/tasks";
import { publishAppended } from "@/server/events/run-events";

/**
 * An agent step's attempt as its task's stream sees it: each write (one statement, in
 * server/db/queries/executions.ts) also appends the step's events, and this process's
 * listeners are told of them.
 */

/**
 * Starts an attempt while the task is running and announces `agent.started` (after
 * `agent.restarted` when the step starts again). Returns the
 * execution id and the team's tools that need approval, or undefined (and writes nothing) when
 * the task is not running.
 */
export async function startExecution(
  row: Parameters<typeof insertRunningExecution>[0],
): Promise<
  { id: string; toolsNeedingApproval: string[]; hasMcpServers: boolean; modelSettings: TaskModelSettings | undefined } | undefined
> {
  const started = await insertRunningExecution(row);
  if (started.id === null || started.firstSeq === null || started.appendedAt === null) return undefined;
  const payload = { stepId: row.stepKey, agent: row.agentKind, executionId: started.id, attempt: row.attempt };
  const events: NewRunEvent[] = [{ type: "agent.started", payload }];
  if (started.restarted)
    events.unshift({ type: "agent.restarted", payload: { ...payload, reason: started.resumed ? "resumed" : "retried" } });
  publishAppended(row.taskId, events, { firstSeq: started.firstSeq, appendedAt: started.appendedAt });
  return {
    id: started.id,
    toolsNeedingApproval: started.toolsNeedingApproval ?? [],
    hasMcpServers: started.hasMcpServers,
    modelSettings: started.modelSettings ?? undefined,
  };
}

/**
 * Stores a completed execution and appends `events` followed by `task.progress` (how many of
 * the task's executions are now completed, of `totalSteps`), in one statement. Returns that count.
 */
export async function completeExecution(
  id: string,
  taskId: string,
  result: { output: Record<string, unknown>; modelId: string; inputTokens: number; outputTokens: number; costUsd: number },
  events: readonly NewRunEvent[],
  totalSteps: number,
): Promise<number> {
  const { completed, firstSeq, appendedAt } = await markExecutionCompleted(id, taskId, result, events, totalSteps);
  if (firstSeq === null) throw new Error(`completeExecution: task ${taskId} does not exist`);
  publishAppended(taskId, [...events, { type: "task.progress", payload: { completedSteps: completed, totalSteps } }], {
    firstSeq,
    appendedAt,
  });
  return completed;
}
