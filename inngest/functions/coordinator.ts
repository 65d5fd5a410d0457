import { NonRetriableError, type GetStepTools } from "inngest";
import { inngest } from "@/inngest/client";
import { planDecided, taskCancelled, taskCreated, toAgentInvocation } from "@/inngest/events";
import { getEnv } from "@/server/env";
import { ancestorStepIds, readySteps, type Plan, type PlanStep } from "@/server/agents";
import type { AgentStepResult } from "@/server/orchestration/agent-step";
import {
  completeTask,
  expireApproval,
  failTask,
  readApproval,
  rejectedTask,
  startAndPlanTask,
  storeExtendedPlan,
  type PlannedTask,
} from "@/server/orchestration/task-lifecycle";
import { addFollowUps } from "@/server/orchestration/follow-ups";
import { endTaskOverBudget } from "@/server/orchestration/task-over-budget";
import { TaskCancelledError } from "@/server/orchestration/cancellation";
import { isInternalError, publicErrorMessage, PublicStepError } from "@/server/orchestration/public-errors";
import { isBudgetExceeded } from "@/server/llm/budget";
import { traceTaskStep } from "@/server/observability/tracing";
import { agentFunctionFor } from "./agent";
import { asStepError } from "./step-errors";

/**
 * The coordinator: plan → (optionally) wait for a person to approve the plan → run the plan's
 * DAG, every step whose dependencies are done in parallel (at most CHORUS_TASK_MAX_PARALLEL at
 * once), each an invocation of its agent's function fed every upstream output → aggregate.
 * Every stage is a durable step, so a restart resumes where the task stopped; cancelling the
 * task cancels this run and its agents (cancelOn).
 */
const APPROVAL_RACE_WINDOW_MS = 10_000;

export const coordinator = inngest.createFunction(
  {
    id: "coordinator",
    name: "Task coordinator",
    triggers: [taskCreated],
    retries: 2,
    cancelOn: [{ event: taskCancelled, if: "event.data.taskId == async.data.taskId" }],
  },
  async ({ event, step }) => {
    const { taskId } = event.data;
    // The task's trace (tracing on at its creation): each step's span joins it.
    const task = { taskId, traceId: event.data.traceId };
    const stepAttributes = { "chorus.team.id": event.data.teamId };
    try {
      const planned = await step.run("plan", () =>
        traceTaskStep(task, "plan", stepAttributes, () => modelStep(taskId, startAndPlanTask(taskId))),
      );
      if (planned.state === "stopped") return planned;
      let plan = planned.plan;

      if (planned.awaitingApproval) {
        // The decision is stored before its event is sent, so a decision that arrived before this
        // wait began is found by the check after the first, short wait.
        const timeoutMs = getEnv().CHORUS_APPROVAL_TIMEOUT_SECONDS * 1000;
        const firstWaitMs = Math.min(APPROVAL_RACE_WINDOW_MS, timeoutMs);
        const match = "async.data.taskId == event.data.taskId";
        const early = await step.waitForEvent("wait for approval", { event: planDecided, timeout: firstWaitMs, if: match });
        let decision = await step.run("read approval", () => readApproval(taskId));
        if (decision.state === "pending" && !early && timeoutMs > firstWaitMs) {
          await step.waitForEvent("wait for approval (continued)", { event: planDecided, timeout: timeoutMs - firstWaitMs, if: match });
          decision = await step.run("read approval (continued)", () => readApproval(taskId));
        }
        if (decision.state === "pending") {
          const expired = await step.run("approval expired", () => expireApproval(taskId));
          if (expired.status !== "unchanged") return expired;
          // A decision landed as the wait ran out: act on it.
          decision = await step.run("read approval (late)", () => readApproval(taskId));
        }
        if (decision.state !== "approved") {
          if (decision.state === "rejected") return await step.run("plan rejected", () => rejectedTask(taskId));
          return { state: "stopped" };
        }
        plan = decision.plan;
      }

      const finished = await runPlan(step, { ...planned, plan }, task.traceId);
      return await step.run("aggregate", () =>
        traceTaskStep(task, "aggregate", stepAttributes, () =>
          modelStep(taskId, completeTask({ ...planned, plan: finished.plan }, finished.outputs)),
        ),
      );
    } catch (error) {
      // In the step, so an internal error is logged (and given its reference) once, not on every replay.
      return step.run("fail task", () =>
        traceTaskStep(task, "fail task", stepAttributes, () => failTask(taskId, publicErrorMessage(error, { taskId }))),
      );
    }
  },
);

type Step = GetStepTools<typeof inngest>;

/**
 * A step's work that calls a model: a permanent model failure is not retried (see asStepError),
 * nor is a call stopped because the task was cancelled, nor one refused by the task's budget
 * (which ends the task budget_exceeded).
 */
function modelStep<T>(taskId: string, work: Promise<T>): Promise<T> {
  return work.catch(async (error: unknown) => {
    if (error instanceof TaskCancelledError) throw new NonRetriableError(error.message);
    if (isBudgetExceeded(error)) {
      const message = (error as Error).message;
      await endTaskOverBudget(taskId, message);
      throw new NonRetriableError(message);
    }
    if (isInternalError(error)) throw new PublicStepError(publicErrorMessage(error), { cause: error });
    throw asStepError(error);
  });
}

/**
 * Runs the DAG as a dataflow: a step is invoked as soon as every step it depends on has its
 * output (not when its whole "wave" is done), with at most CHORUS_TASK_MAX_PARALLEL invocations
 * in flight. Outputs are taken in the order the invocations finish; on a replay the SDK resolves
 * the memoised invocations in that same order, so the function takes the same path again. An
 * agent may ask for another agent's help; the plan then grows (bounded) and is stored.
 */
async function runPlan(
  step: Step,
  task: PlannedTask,
  traceId: string | undefined,
): Promise<{ plan: Plan; outputs: Record<string, AgentStepResult> }> {
  const outputs: Record<string, AgentStepResult> = { ...task.reused };
  const limit = getEnv().CHORUS_TASK_MAX_PARALLEL;
  let followUpBudget = getEnv().CHORUS_MAX_FOLLOW_UPS;
  let plan = task.plan;
  const running = new Map<string, Promise<[string, AgentStepResult]>>();
  while (Object.keys(outputs).length < plan.steps.length) {
    for (const planStep of readySteps(plan, Object.keys(outputs), running.keys())) {
      if (running.size >= limit) break;
      const invoked = invokeAgent(step, task, plan, planStep, outputs, followUpBudget > 0, traceId);
      running.set(
        planStep.id,
        invoked.then((result): [string, AgentStepResult] => [planStep.id, result]),
      );
    }
    if (running.size === 0) throw new Error("The plan has steps that can never run (a dependency cycle or a missing step)");
    const [stepId, result] = await Promise.race(running.values());
    running.delete(stepId);
    outputs[stepId] = result;
    if (!result.followUps?.length) continue;
    const planStep = plan.steps.find((candidate) => candidate.id === stepId)!;
    const grown = addFollowUps(plan, planStep, result.followUps, {
      budget: followUpBudget,
      knownAgents: task.agents.map((agent) => agent.kind),
    });
    if (grown.added.length === 0) continue;
    plan = grown.plan;
    followUpBudget -= grown.added.length;
    const extended = plan;
    await step.run(`add follow-ups after ${stepId}`, () => storeExtendedPlan(task.taskId, extended, grown.added));
  }
  return { plan, outputs };
}

function invokeAgent(
  step: Step,
  task: PlannedTask,
  plan: Plan,
  planStep: PlanStep,
  outputs: Record<string, AgentStepResult>,
  canAsk: boolean,
  traceId: string | undefined,
) {
  return step.invoke(`run ${planStep.id}`, {
    function: agentFunctionFor(planStep.agent),
    data: toAgentInvocation({
      taskId: task.taskId,
      teamId: task.teamId,
      stepId: planStep.id,
      agent: planStep.agent,
      subtask: planStep.subtask,
      taskPrompt: task.prompt,
      dependsOn: planStep.dependsOn,
      // Every earlier step this one builds on, directly or not (synthesis sees research too).
      upstream: ancestorStepIds(plan, planStep.id).flatMap((id) => {
        const upstream = outputs[id];
        const dependency = plan.steps.find((candidate) => candidate.id === id);
        return upstream && dependency ? [{ stepId: id, agentKind: dependency.agent, text: upstream.text, sources: upstream.sources }] : [];
      }),
      totalSteps: plan.steps.length,
      allowFollowUps: canAsk && !planStep.requestedBy,
      helpers: canAsk && !planStep.requestedBy ? task.agents : [],
      agentVersion: task.agentVersions?.[planStep.agent],
      ...(traceId ? { traceId } : {}),
    }),
  }) as Promise<AgentStepResult>;
}
