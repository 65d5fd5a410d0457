import { inngest } from "@/inngest/client";
import { taskCreated } from "@/inngest/events";
import { ancestorStepIds, topologicalLayers } from "@/server/agents";
import { completeTask, failTask, startAndPlanTask } from "@/server/orchestration/task-lifecycle";
import type { AgentStepResult } from "@/server/orchestration/agent-step";
import { agentFunctions } from "./agent";

/**
 * The coordinator: plan → run each layer of the plan's DAG in parallel (one agent function
 * invocation per step, each fed the outputs of the steps it depends on) → aggregate.
 * Every stage is a durable step, so a restart resumes where the task stopped.
 */
export const coordinator = inngest.createFunction(
  { id: "coordinator", name: "Task coordinator", triggers: [taskCreated], retries: 2 },
  async ({ event, step }) => {
    const { taskId } = event.data;
    try {
      const task = await step.run("plan", () => startAndPlanTask(taskId));
      const outputs: Record<string, AgentStepResult> = {};
      for (const layer of topologicalLayers(task.plan)) {
        const results = await Promise.all(
          layer.map((planStep) => {
            const agentFunction = agentFunctions[planStep.agent as keyof typeof agentFunctions];
            if (!agentFunction) throw new Error(`No agent function for "${planStep.agent}"`);
            return step.invoke(`run ${planStep.id}`, {
              function: agentFunction,
              data: {
                taskId,
                teamId: task.teamId,
                stepId: planStep.id,
                agent: planStep.agent,
                subtask: planStep.subtask,
                taskPrompt: task.prompt,
                dependsOn: planStep.dependsOn,
                // Every earlier step this one builds on, directly or not (synthesis sees research too).
                upstream: ancestorStepIds(task.plan, planStep.id).flatMap((id) => {
                  const upstream = outputs[id];
                  const dependency = task.plan.steps.find((candidate) => candidate.id === id);
                  return upstream && dependency ? [{ stepId: id, agentKind: dependency.agent, text: upstream.text }] : [];
                }),
                totalSteps: task.plan.steps.length,
              },
            });
          }),
        );
        layer.forEach((planStep, index) => {
          outputs[planStep.id] = results[index] as AgentStepResult;
        });
      }
      return await step.run("aggregate", () => completeTask(task, outputs));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return step.run("fail task", () => failTask(taskId, message));
    }
  },
);
