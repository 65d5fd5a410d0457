import { appendRunEvent } from "@/server/events/run-events";
import type { AgentStepInput } from "@/inngest/events";
import { createDeltaCoalescer } from "./delta-coalescer";
import { markExecutionEnded } from "@/server/db/queries/executions";
import { completeExecution, startExecution } from "./execution-store";
import { isTaskRunning, TaskCancelledError, watchForCancellation } from "./cancellation";
import { toPublicError } from "./public-errors";
import { UnknownAgentError, type AgentPause, type FollowUpRequest, type ToolDecision } from "@/server/agents";
import { insertAwaitingToolCalls, markExecutionResumed } from "@/server/db/queries/tool-calls";
import { findTeamToolsNeedingApproval } from "@/server/db/queries/teams";
import { mcpToolSpec } from "@/server/agents/tools/mcp-tool";
import { openMcpTools } from "@/server/mcp/agent-tools";
import { getEnv } from "@/server/env";
import { publishAppended } from "@/server/events/run-events";
import { loadTeamAgent } from "./team-agents";
import { createToolCallRecorder } from "./tool-call-recorder";
import { modelForTask } from "./task-models";
import { findTaskModelSettings, type TaskModelSettings } from "@/server/db/queries/tasks";
import { taskOffersTools } from "./run-config";
import type { ModelRoute } from "@/server/llm/fallback";
import { settleUsageRecords } from "@/server/llm/usage-recording";
import { BudgetExceeded, isBudgetExceeded } from "@/server/llm/budget";
import { endTaskOverBudget } from "./task-over-budget";

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
 * One stretch of an agent's work on a plan step: it ends with the step done, or parked at tool
 * calls that wait for a person's approval (the durable function waits for the decisions, then
 * carries on with `resume`).
 */
export type AgentStepRound =
  { state: "completed"; result: AgentStepResult } | { state: "awaiting_approval"; executionId: string; pause: AgentPause };

export interface AgentStepResume {
  executionId: string;
  pause: AgentPause;
  decisions: ToolDecision[];
}

/**
 * One agent working on one plan step: records the attempt as an AgentExecution, streams its
 * tokens into the task's event log (coalesced), and stores the outcome. A crash mid-step
 * re-enters with the same attempt number and reuses the same row, so executions are never
 * duplicated. Cancelling the task aborts the model call (TaskCancelledError). A run carried on
 * after tool approvals (`resume`) continues the same execution.
 */
export async function runAgentStep(input: AgentStepInput, attempt: number, resume?: AgentStepResume): Promise<AgentStepRound> {
  const agent = await loadAgentWhileRunning(input);
  const helpers = input.allowFollowUps ? input.helpers.filter((candidate) => candidate.kind !== input.agent) : undefined;
  let started: { id: string; toolsNeedingApproval: string[]; hasMcpServers: boolean; modelSettings?: TaskModelSettings } | undefined;
  if (resume) {
    if (!(await isTaskRunning(input.taskId))) throw new TaskCancelledError(input.taskId);
    await markExecutionResumed(resume.executionId);
    // Read here (not by modelForTask later): whether the task offers tools decides what the run is given.
    const [toolsNeedingApproval, modelSettings] = await Promise.all([
      findTeamToolsNeedingApproval(input.teamId),
      findTaskModelSettings(input.taskId),
    ]);
    started = { id: resume.executionId, toolsNeedingApproval, hasMcpServers: true, modelSettings };
  } else {
    started = await startExecution({
      taskId: input.taskId,
      teamId: input.teamId,
      stepKey: input.stepId,
      agentKind: input.agent,
      agentVersion: input.agentVersion ?? null,
      attempt,
      input: { subtask: input.subtask, dependsOn: input.dependsOn },
    });
  }
  if (started === undefined) throw new TaskCancelledError(input.taskId);
  const execution = { id: started.id };
  // A task run with `tools: false` (an experiment's configuration) offers its agents none: no built-ins, no MCP.
  const offersTools = taskOffersTools(started.modelSettings?.runConfig);

  const deltas = createDeltaCoalescer((text) => appendRunEvent(input.taskId, "agent.delta", { stepId: input.stepId, text }));
  const cancellation = watchForCancellation(input.taskId);
  let mcp: Awaited<ReturnType<typeof openMcpToolsFor>> | undefined;
  let streamed = resume?.pause.text ?? "";
  const fallbacks: ModelRoute[] = [];
  const calls = { total: 0, cached: 0 };
  try {
    if (started.hasMcpServers && offersTools) mcp = await openMcpToolsFor(input, cancellation.signal);
    // Resolved here, not in the agent: agents know no database; the model is the team's, recorded and cached (task-models.ts).
    const model = await modelForTask(
      input.taskId,
      {
        role: "agent",
        agentKind: input.agent,
        executionId: execution.id,
        modelId: agent.modelId,
        // Which of the team's models answered, and why any before it were skipped: kept on the execution.
        onRoute: (route) => {
          if (route.skipped.length > 0) fallbacks.push(route);
        },
        // Marks the execution cached (on its completion event) when the response cache answered every call.
        onCall: (call) => {
          calls.total += 1;
          if (call.cached) calls.cached += 1;
        },
      },
      started.modelSettings,
    );
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
        model,
        onDelta: (text) => {
          streamed += text;
          deltas.push(text);
        },
        abortSignal: cancellation.signal,
        helpers,
        ...(offersTools ? {} : { toolSpecs: [] }),
        toolsNeedingApproval: started.toolsNeedingApproval,
        extraToolSpecs: mcp?.specs,
        resume: resume ? { pause: resume.pause, decisions: resume.decisions } : undefined,
        toolObserver: createToolCallRecorder(
          { teamId: input.teamId, taskId: input.taskId, executionId: execution.id, stepId: input.stepId, agent: input.agent },
          () => deltas.flush(),
        ),
      },
    );
    if (result.pause) {
      await deltas.flush();
      await parkForApprovals(input, execution.id, result.pause);
      return { state: "awaiting_approval", executionId: execution.id, pause: result.pause };
    }
    // The step's ModelCall rows are in before it counts as done, so the task's totals include them.
    await settleUsageRecords();
    // The last deltas go with the closing events: one statement stores the outcome and all of them.
    const rest = await deltas.takeRest();
    await completeExecution(
      execution.id,
      input.taskId,
      {
        output: {
          text: result.text,
          sources: result.sources,
          followUps: result.followUps,
          ...(fallbacks.length > 0 ? { modelFallbacks: fallbacks } : {}),
        },
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
            ...(calls.total > 0 && calls.cached === calls.total ? { cached: true } : {}),
          },
        },
      ],
      input.totalSteps,
    );
    return {
      state: "completed",
      result: {
        executionId: execution.id,
        text: result.text,
        sources: result.sources,
        usage: result.usage,
        modelId: result.modelId,
        costUsd: result.costUsd,
        followUps: result.followUps,
      },
    };
  } catch (error) {
    await deltas.flush().catch(() => undefined);
    if (isBudgetExceeded(error) && !cancellation.signal.aborted) {
      // The task's budget is spent: its partial output is kept, as a cancel's is, and the task ends budget_exceeded.
      const message = error instanceof Error ? error.message : "The task's budget is spent";
      await markExecutionEnded(execution.id, "cancelled", message, streamed ? { text: streamed, partial: true } : undefined);
      await endTaskOverBudget(input.taskId, message);
      throw new BudgetExceeded(message);
    }
    if (cancellation.signal.aborted) {
      // Partial output is kept: what streamed so far is in the event log and on the row.
      await markExecutionEnded(execution.id, "cancelled", "Cancelled", { text: streamed, partial: true });
      throw new TaskCancelledError(input.taskId);
    }
    // The run sees (and the task may end with) only what members may see.
    const publicError = toPublicError(error, { taskId: input.taskId, stepId: input.stepId, attempt });
    // What streamed before the failure (a stall, a dropped connection) stays on the row, as a cancel's does.
    await markExecutionEnded(execution.id, "failed", publicError.message, streamed ? { text: streamed, partial: true } : undefined);
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
    await mcp?.close();
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

/** Records the calls waiting for approval (rows, events, the execution parked with its text so far). */
async function parkForApprovals(input: AgentStepInput, executionId: string, pause: AgentPause) {
  const payloads = pause.approvals.map((approval) => ({
    stepId: input.stepId,
    agent: input.agent,
    executionId,
    callId: approval.callId,
    tool: approval.tool,
    input: approval.input,
  }));
  const stored = await insertAwaitingToolCalls(
    {
      teamId: input.teamId,
      taskId: input.taskId,
      executionId,
      stepKey: input.stepId,
      partialOutput: { text: pause.text, partial: true },
    },
    pause.approvals.map((approval) => ({
      callId: approval.callId,
      approvalId: approval.approvalId,
      tool: approval.tool,
      input: approval.input,
    })),
    payloads,
  );
  if (stored.firstSeq !== null && stored.appendedAt !== null) {
    publishAppended(
      input.taskId,
      payloads.map((payload) => ({ type: "agent.tool_approval_requested" as const, payload })),
      { firstSeq: stored.firstSeq, appendedAt: stored.appendedAt },
    );
  }
}

/** The team's MCP tools this agent may use, open for the run; servers that cannot be reached are left out (and logged). */
async function openMcpToolsFor(input: AgentStepInput, signal: AbortSignal) {
  const opened = await openMcpTools(input.teamId, input.agent, { signal });
  const timeoutMs = getEnv().CHORUS_MCP_CALL_TIMEOUT_MS;
  return { specs: opened.tools.map((tool) => mcpToolSpec(tool, timeoutMs)), close: () => opened.close().catch(() => undefined) };
}
