import { getDb } from "@/server/db/client";
import { appendRunEvent } from "@/server/events/run-events";
import { aggregateResults, createPlan, listAgents, type Plan } from "@/server/agents";
import type { AgentStepResult } from "./agent-step";

/**
 * What the coordinator's steps do to a task. Each function is the body of one durable step:
 * it runs once (its result is memoised by the executor) and writes the task's state and its
 * progress events.
 */
export interface PlannedTask {
  taskId: string;
  teamId: string;
  prompt: string;
  plan: Plan;
}

export async function startAndPlanTask(taskId: string): Promise<PlannedTask> {
  const db = getDb();
  const task = await db.task.findUniqueOrThrow({ where: { id: taskId } });
  await db.task.update({ where: { id: taskId }, data: { status: "running", startedAt: task.startedAt ?? new Date() } });
  const planned = await createPlan({ prompt: task.prompt, agents: listAgents() });
  const stored = { steps: planned.plan.steps, source: planned.source, notes: planned.notes };
  // The planner's own usage is the task's first spend; agents and aggregation add to it.
  await db.task.update({
    where: { id: taskId },
    data: { plan: stored, inputTokens: planned.usage.inputTokens, outputTokens: planned.usage.outputTokens, costUsd: planned.costUsd },
  });
  await appendRunEvent(taskId, "task.planned", stored);
  return { taskId, teamId: task.teamId, prompt: task.prompt, plan: planned.plan };
}

export async function completeTask(task: PlannedTask, outputs: Record<string, AgentStepResult>) {
  const ordered = task.plan.steps.flatMap((step) => {
    const output = outputs[step.id];
    return output ? [{ stepId: step.id, agentKind: step.agent, text: output.text, sources: output.sources }] : [];
  });
  const aggregated = await aggregateResults({ taskPrompt: task.prompt, outputs: ordered });
  const db = getDb();
  const [totals, planning] = await Promise.all([
    db.agentExecution.aggregate({ where: { taskId: task.taskId }, _sum: { inputTokens: true, outputTokens: true, costUsd: true } }),
    db.task.findUniqueOrThrow({ where: { id: task.taskId }, select: { inputTokens: true, outputTokens: true, costUsd: true } }),
  ]);
  const inputTokens = planning.inputTokens + (totals._sum.inputTokens ?? 0) + aggregated.usage.inputTokens;
  const outputTokens = planning.outputTokens + (totals._sum.outputTokens ?? 0) + aggregated.usage.outputTokens;
  const costUsd = Number(planning.costUsd) + Number(totals._sum.costUsd ?? 0) + aggregated.costUsd;
  const result = { markdown: aggregated.markdown, sources: aggregated.sources.map((source) => ({ ...source })) };
  const updated = await db.task.update({
    where: { id: task.taskId },
    data: { status: "completed", output: result, inputTokens, outputTokens, costUsd, completedAt: new Date(), error: null },
  });
  const durationMs = updated.startedAt ? updated.completedAt!.getTime() - updated.startedAt.getTime() : null;
  await appendRunEvent(task.taskId, "task.completed", { result, usage: { inputTokens, outputTokens, costUsd }, durationMs });
  return { status: "completed" as const, usage: { inputTokens, outputTokens, costUsd } };
}

export async function failTask(taskId: string, message: string) {
  const db = getDb();
  await db.task.update({ where: { id: taskId }, data: { status: "failed", error: message, completedAt: new Date() } });
  await appendRunEvent(taskId, "task.failed", { error: message });
  return { status: "failed" as const, error: message };
}
