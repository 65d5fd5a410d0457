import { getDb } from "@/server/db/client";
import { appendRunEvent, appendRunEvents } from "@/server/events/run-events";
import type { AgentStepInput } from "@/inngest/events";
import { createDeltaCoalescer } from "./delta-coalescer";
import { isTaskActive, TaskCancelledError, watchForCancellation } from "./cancellation";
import type { FollowUpRequest } from "@/server/agents";
import { loadTeamAgent } from "./team-agents";

export interface AgentStepResult {
  executionId: string;
  text: string;
  sources: Array<{ title: string; url?: string }>;
  usage: { inputTokens: number; outputTokens: number };
  modelId: string;
  costUsd: number;
  followUps: FollowUpRequest[];
}

/**
 * One agent working on one plan step: records the attempt as an AgentExecution, streams its
 * tokens into the task's event log (coalesced), and stores the outcome. A crash mid-step
 * re-enters with the same attempt number and reuses the same row, so executions are never
 * duplicated. Cancelling the task aborts the model call (TaskCancelledError).
 */
export async function runAgentStep(input: AgentStepInput, attempt: number): Promise<AgentStepResult> {
  if (!(await isTaskActive(input.taskId))) throw new TaskCancelledError(input.taskId);
  const db = getDb();
  const agent = await loadTeamAgent(input.teamId, input.agent);
  const helpers = input.allowFollowUps ? input.helpers.filter((candidate) => candidate.kind !== input.agent) : undefined;
  const startedAt = new Date();
  const execution = await db.agentExecution.upsert({
    where: { taskId_stepKey_attempt: { taskId: input.taskId, stepKey: input.stepId, attempt } },
    create: {
      taskId: input.taskId,
      teamId: input.teamId,
      stepKey: input.stepId,
      agentKind: input.agent,
      attempt,
      status: "running",
      input: { subtask: input.subtask, dependsOn: input.dependsOn },
      startedAt,
    },
    update: { status: "running", startedAt, error: null },
    select: { id: true },
  });
  await appendRunEvent(input.taskId, "agent.started", { stepId: input.stepId, agent: input.agent, executionId: execution.id, attempt });

  const deltas = createDeltaCoalescer((text) => appendRunEvent(input.taskId, "agent.delta", { stepId: input.stepId, text }));
  const cancellation = watchForCancellation(input.taskId);
  let streamed = "";
  try {
    const result = await agent.execute(
      { stepId: input.stepId, agentKind: input.agent, instruction: input.subtask, taskPrompt: input.taskPrompt, dependsOn: input.dependsOn },
      { taskId: input.taskId, teamId: input.teamId, upstream: input.upstream, onDelta: (text) => {
          streamed += text;
          deltas.push(text);
        },
        abortSignal: cancellation.signal,
        helpers,
      },
    );
    await deltas.flush();
    await db.agentExecution.update({
      where: { id: execution.id },
      data: {
        status: "completed",
        output: { text: result.text, sources: result.sources.map((source) => ({ ...source })), followUps: result.followUps.map((request) => ({ ...request })) },
        modelId: result.modelId,
        inputTokens: result.usage.inputTokens,
        outputTokens: result.usage.outputTokens,
        costUsd: result.costUsd,
        completedAt: new Date(),
      },
    });
    const completedSteps = await db.agentExecution.count({ where: { taskId: input.taskId, status: "completed" } });
    await appendRunEvents(input.taskId, [
      {
        type: "agent.completed",
        payload: { stepId: input.stepId, agent: input.agent, executionId: execution.id, usage: { ...result.usage, costUsd: result.costUsd }, modelId: result.modelId },
      },
      { type: "task.progress", payload: { completedSteps, totalSteps: input.totalSteps } },
    ]);
    return { executionId: execution.id, ...result };
  } catch (error) {
    await deltas.flush().catch(() => undefined);
    if (cancellation.signal.aborted) {
      // Partial output is kept: what streamed so far is in the event log and on the row.
      await db.agentExecution.update({ where: { id: execution.id }, data: { status: "cancelled", error: "Cancelled", output: { text: streamed, partial: true }, completedAt: new Date() } });
      throw new TaskCancelledError(input.taskId);
    }
    const message = error instanceof Error ? error.message : String(error);
    await db.agentExecution.update({ where: { id: execution.id }, data: { status: "failed", error: message, completedAt: new Date() } });
    await appendRunEvent(input.taskId, "agent.failed", { stepId: input.stepId, agent: input.agent, executionId: execution.id, attempt, error: message });
    throw error;
  } finally {
    cancellation.stop();
  }
}
