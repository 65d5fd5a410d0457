import { NonRetriableError, type GetStepTools } from "inngest";
import { inngest } from "@/inngest/client";
import { fromAgentInvocation, taskCancelled, toolDecided, type AgentStepInput } from "@/inngest/events";
import { getEnv } from "@/server/env";
import { BUILT_IN_AGENT_KINDS, UnknownAgentError } from "@/server/agents";
import { TaskCancelledError } from "@/server/orchestration/cancellation";
import { isBudgetExceeded } from "@/server/llm/budget";
import { traceTaskStep } from "@/server/observability/tracing";
import { runAgentStep, type AgentStepResult, type AgentStepRound } from "@/server/orchestration/agent-step";
import { expireToolApprovals, readToolDecisions } from "@/server/orchestration/tool-approvals";
import { asStepError } from "./step-errors";

/**
 * One Inngest function per built-in agent kind, plus one for team-defined agents, invoked by
 * the coordinator for each plan step. Its durable step is the agent's work; a retry re-runs it
 * as a new recorded attempt. When the agent calls tools that need a person's approval, the step
 * ends parked and the function waits — durably, surviving restarts — for the decisions, then
 * carries on in a further step. At most CHORUS_TEAM_MAX_PARALLEL agent steps of one team run at
 * once, whatever their kind.
 */

/** Decisions stored before the wait began are found by the check after this first, short wait. */
const DECISION_RACE_WINDOW_MS = 10_000;

type Step = GetStepTools<typeof inngest>;

function createAgentFunction(id: string, name: string) {
  return inngest.createFunction(
    {
      id,
      name,
      retries: 2,
      concurrency: [{ scope: "env", key: "event.data.teamId", limit: getEnv().CHORUS_TEAM_MAX_PARALLEL }],
      cancelOn: [{ event: taskCancelled, if: "event.data.taskId == async.data.taskId" }],
    },
    async ({ event, step, attempt }) => {
      const input = fromAgentInvocation(event.data);
      // The attempt's span joins the task's trace (docs/operations.md#tracing).
      const spanAttributes = {
        "chorus.team.id": input.teamId,
        "chorus.step.id": input.stepId,
        "chorus.agent.kind": input.agent,
        "chorus.attempt": attempt + 1,
      };
      const traced = <T>(work: () => Promise<T>) => traceTaskStep(input, `agent ${input.agent}`, spanAttributes, work);
      let round = (await step.run(`run ${input.agent}`, () =>
        traced(() => guarded(() => runAgentStep(input, attempt + 1))),
      )) as AgentStepRound;
      for (let stretch = 1; round.state === "awaiting_approval"; stretch += 1) {
        const parked = round;
        const decisions = await awaitDecisions(step, input, parked, stretch);
        round = (await step.run(`run ${input.agent} (after approvals ${stretch})`, () =>
          traced(() =>
            guarded(() => runAgentStep(input, attempt + 1, { executionId: parked.executionId, pause: parked.pause, decisions })),
          ),
        )) as AgentStepRound;
      }
      return round.result as AgentStepResult;
    },
  );
}

/**
 * Waits until every parked call is decided, or the approval time runs out (then the rest are
 * denied). Decisions are read from the calls' rows — the event only wakes the wait — so a
 * decision made before the wait began is not lost.
 */
async function awaitDecisions(
  step: Step,
  input: AgentStepInput,
  parked: Extract<AgentStepRound, { state: "awaiting_approval" }>,
  stretch: number,
) {
  const callIds = parked.pause.approvals.map((approval) => approval.callId);
  const read = (label: string) => step.run(label, () => readToolDecisions(parked.executionId, parked.pause.approvals));
  const match = `async.data.executionId == "${parked.executionId}"`;
  let state = await read(`read tool decisions ${stretch}`);
  // A short first wait, then waits until the calls' due time; each decision wakes the next read.
  for (let wait = 1; state.undecided.length > 0 && wait <= callIds.length + 5; wait += 1) {
    const untilDue = Math.max(1_000, state.dueAt - Date.now());
    const timeout = wait === 1 ? Math.min(DECISION_RACE_WINDOW_MS, untilDue) : untilDue;
    const woke = await step.waitForEvent(`wait for tool decisions ${stretch}.${wait}`, { event: toolDecided, timeout, if: match });
    state = await read(`read tool decisions ${stretch}.${wait}`);
    if (!woke && state.dueAt <= Date.now()) break;
  }
  if (state.undecided.length > 0) {
    await step.run(`tool approvals expired ${stretch}`, () => expireToolApprovals(input.taskId, parked.executionId));
    state = await read(`read tool decisions ${stretch} (expired)`);
  }
  return state.decisions;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UnknownAgentError || error instanceof TaskCancelledError || isBudgetExceeded(error)) {
      throw new NonRetriableError((error as Error).message);
    }
    throw asStepError(error);
  }
}

export const agentFunctions: Record<string, ReturnType<typeof createAgentFunction>> = Object.fromEntries(
  BUILT_IN_AGENT_KINDS.map((kind) => [kind, createAgentFunction(`agent-${kind}`, `Agent: ${kind}`)]),
);
export const customAgentFunction = createAgentFunction("agent-custom", "Agent: team-defined");

export function agentFunctionFor(kind: string) {
  return agentFunctions[kind] ?? customAgentFunction;
}
