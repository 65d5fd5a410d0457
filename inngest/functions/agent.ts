import { NonRetriableError } from "inngest";
import { inngest } from "@/inngest/client";
import { agentStepInput } from "@/inngest/events";
import { UnknownAgentError } from "@/server/agents";
import { runAgentStep } from "@/server/orchestration/agent-step";

/**
 * One Inngest function per agent kind, invoked by the coordinator for each plan step. Its one
 * durable step is the agent's work; a retry re-runs it as a new recorded attempt.
 */
export function createAgentFunction(kind: string) {
  return inngest.createFunction(
    { id: `agent-${kind}`, name: `Agent: ${kind}`, retries: 2 },
    async ({ event, step, attempt }) => {
      const input = agentStepInput.parse(event.data);
      return step.run(`run ${kind}`, async () => {
        try {
          return await runAgentStep(input, attempt + 1);
        } catch (error) {
          if (error instanceof UnknownAgentError) throw new NonRetriableError(error.message);
          throw error;
        }
      });
    },
  );
}

export const builtInAgentKinds = ["research", "analysis", "synthesis"] as const;
export const agentFunctions = Object.fromEntries(builtInAgentKinds.map((kind) => [kind, createAgentFunction(kind)])) as Record<
  (typeof builtInAgentKinds)[number],
  ReturnType<typeof createAgentFunction>
>;
