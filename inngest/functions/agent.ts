import { NonRetriableError } from "inngest";
import { inngest } from "@/inngest/client";
import { agentStepInput, taskCancelled } from "@/inngest/events";
import { getEnv } from "@/server/env";
import { BUILT_IN_AGENT_KINDS, UnknownAgentError } from "@/server/agents";
import { TaskCancelledError } from "@/server/orchestration/cancellation";
import { runAgentStep } from "@/server/orchestration/agent-step";
import { asStepError } from "./step-errors";

/**
 * One Inngest function per built-in agent kind, plus one for team-defined agents, invoked by
 * the coordinator for each plan step. Its one durable step is the agent's work; a retry
 * re-runs it as a new recorded attempt. At most CHORUS_TEAM_MAX_PARALLEL agent steps of one
 * team run at once, whatever their kind.
 */
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
      const input = agentStepInput.parse(event.data);
      return step.run(`run ${input.agent}`, async () => {
        try {
          return await runAgentStep(input, attempt + 1);
        } catch (error) {
          if (error instanceof UnknownAgentError || error instanceof TaskCancelledError) throw new NonRetriableError(error.message);
          throw asStepError(error);
        }
      });
    },
  );
}

export const agentFunctions: Record<string, ReturnType<typeof createAgentFunction>> = Object.fromEntries(
  BUILT_IN_AGENT_KINDS.map((kind) => [kind, createAgentFunction(`agent-${kind}`, `Agent: ${kind}`)]),
);
export const customAgentFunction = createAgentFunction("agent-custom", "Agent: team-defined");

export function agentFunctionFor(kind: string) {
  return agentFunctions[kind] ?? customAgentFunction;
}
