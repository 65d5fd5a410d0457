import type { ToolCallObserver } from "@/server/agents/tools/run-tool";
import { insertStartedToolCall, markToolCallEnded } from "@/server/db/queries/tool-calls";
import { publishAppended } from "@/server/events/run-events";
import { cutText } from "@/server/text/cut-text";

/**
 * Records one execution's tool calls: a ToolCall row and `agent.tool_call` when a call starts,
 * its outcome and `agent.tool_result` when it ends — each one statement — and tells this
 * process's streams. `beforeEvent` runs first (the step flushes its pending token deltas), so
 * the task's log reads in the order things happened: the text before a call, the call, its result.
 */

export interface RecordedStep {
  teamId: string;
  taskId: string;
  executionId: string;
  stepId: string;
  agent: string;
}

/** Inputs beyond this are cut in the event (the row keeps them whole). */
const MAX_EVENT_INPUT_CHARACTERS = 2_000;

export function createToolCallRecorder(step: RecordedStep, beforeEvent: () => Promise<void>): ToolCallObserver {
  const rowIds = new Map<string, string>();
  return {
    async started({ callId, tool, input }) {
      await beforeEvent();
      const payload = { stepId: step.stepId, agent: step.agent, executionId: step.executionId, callId, tool, input: boundedInput(input) };
      const stored = await insertStartedToolCall(
        { teamId: step.teamId, taskId: step.taskId, executionId: step.executionId, stepKey: step.stepId, callId, tool, input },
        payload,
      );
      rowIds.set(callId, stored.id);
      if (stored.firstSeq !== null && stored.appendedAt !== null) {
        publishAppended(step.taskId, [{ type: "agent.tool_call", payload }], { firstSeq: stored.firstSeq, appendedAt: stored.appendedAt });
      }
    },
    async ended(call) {
      const id = rowIds.get(call.callId);
      if (id === undefined) return;
      await beforeEvent();
      const payload = {
        stepId: step.stepId,
        executionId: step.executionId,
        callId: call.callId,
        tool: call.tool,
        status: call.status,
        excerpt: call.excerpt,
        error: call.error,
        attempts: call.attempts,
        durationMs: Math.round(call.durationMs),
      };
      const stored = await markToolCallEnded(
        id,
        step.taskId,
        { status: call.status, outputExcerpt: call.excerpt, error: call.error, attempts: call.attempts, durationMs: call.durationMs },
        payload,
      );
      if (stored.firstSeq !== null && stored.appendedAt !== null) {
        publishAppended(step.taskId, [{ type: "agent.tool_result", payload }], {
          firstSeq: stored.firstSeq,
          appendedAt: stored.appendedAt,
        });
      }
    },
  };
}

function boundedInput(input: unknown): unknown {
  const text = JSON.stringify(input ?? null);
  return text.length <= MAX_EVENT_INPUT_CHARACTERS ? input : `${cutText(text, MAX_EVENT_INPUT_CHARACTERS)}…`;
}
