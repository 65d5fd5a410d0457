import { appendRunEvent } from "@/server/events/run-events";
import type { AgentStepInput } from "@/inngest/events";
import { createDeltaCoalescer } from "./delta-coalescer";
import { markExecutionEnded } from "@/server/db/queries/executions";
import { completeExecution, startExecution } from "./execution-store";
import { isTaskRunning, TaskCancelledError, watchForCancellation } from "./cancellation";
import { toPublicError } from "./public-errors";
import { UnknownAgentError, type FollowUpRequest } from "@/server/agents";
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
  const agent = await loadAgentWhileRunning(input);
  const helpers = input.allowFollowUps ? input.helpers.filter((candidate) => candidate.kind !== input.agent) : undefined;
  const executionId = await startExecution({
    taskId: input.taskId,
    teamId: input.teamId,
    stepKey: input.stepId,
    agentKind: input.agent,
    agentVersion: input.agentVersion ?? null,
    attempt,
    input: { subtask: input.subtask, dependsOn: input.dependsOn },
  });
  if (executionId === undefined) throw new TaskCancelledError(input.taskId);
  const execution = { id: executionId };

  const deltas = createDeltaCoalescer((text) => appendRunEvent(input.taskId, "agent.delta", { stepId: input.stepId, text }));
  const cancellation = watchForCancellation(input.taskId);
  let streamed = "";
  try {
    const result = await agent.execute(
      {
        stepId: input.stepId,
        agentKind: input.agent,
        instruction: input.subtask,
        taskPrompt: input.taskPrompt,
        dependsOn: input.dependsOn,
      },
      {
        taskId: input.taskId,
        teamId: input.teamId,
        upstream: input.upstream,
        onDelta: (text) => {
          streamed += text;
          deltas.push(text);
        },
        abortSignal: cancellation.signal,
        helpers,
      },
    );
    // The last deltas go with the closing events: one statement stores the outcome and all of them.
    const rest = await deltas.takeRest();
    await completeExecution(
      execution.id,
      input.taskId,
      {
        output: { text: result.text, sources: result.sources, followUps: result.followUps },
        modelId: result.modelId,
        inputTokens: result.usage.inputTokens,
        outputTokens: result.usage.outputTokens,
        costUsd: result.costUsd,
      },
      [
        ...(rest ? [{ type: "agent.delta" as const, payload: { stepId: input.stepId, text: rest } }] : []),
        {
          type: "agent.completed",
          payload: {
            stepId: input.stepId,
            agent: input.agent,
            executionId: execution.id,
            usage: { ...result.usage, costUsd: result.costUsd },
            modelId: result.modelId,
          },
        },
      ],
      input.totalSteps,
    );
    return { executionId: execution.id, ...result };
  } catch (error) {
    await deltas.flush().catch(() => undefined);
    if (cancellation.signal.aborted) {
      // Partial output is kept: what streamed so far is in the event log and on the row.
      await markExecutionEnded(execution.id, "cancelled", "Cancelled", { text: streamed, partial: true });
      throw new TaskCancelledError(input.taskId);
    }
    // The run sees (and the task may end with) only what members may see.
    const publicError = toPublicError(error, { taskId: input.taskId, stepId: input.stepId, attempt });
    await markExecutionEnded(execution.id, "failed", publicError.message);
    await appendRunEvent(input.taskId, "agent.failed", {
      stepId: input.stepId,
      agent: input.agent,
      executionId: execution.id,
      attempt,
      error: publicError.message,
    });
    throw publicError;
  } finally {
    cancellation.stop();
  }
}

/** The step's agent; a task that stopped running meanwhile wins over an unknown agent. */
async function loadAgentWhileRunning(input: AgentStepInput) {
  try {
    return await loadTeamAgent(input.teamId, input.agent, input.agentVersion);
  } catch (error) {
    if (error instanceof UnknownAgentError && !(await isTaskRunning(input.taskId))) throw new TaskCancelledError(input.taskId);
    throw error;
  }
}
