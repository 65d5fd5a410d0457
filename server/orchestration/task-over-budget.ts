import { markTaskFinished, sumTaskSpend } from "@/server/db/queries/tasks";
import { activeTaskStatuses } from "@/server/domain/task-vocabulary";
import { publishAppended } from "@/server/events/run-events";
import { settleUsageRecords } from "@/server/llm/usage-recording";
import { sendTaskFinished } from "@/inngest/client";

/**
 * Ends a task whose budget is spent (a model call was refused or cut off, server/llm/budget.ts):
 * `budget_exceeded`, with the budget's message and what its calls spent, and the run event
 * `task.budget_exceeded`. Running agents see the status (or the event) as they see a cancel,
 * stop and keep their partial output; the coordinator starts nothing more. Called by whichever
 * step hit the limit (an agent, the planner, the aggregator); only the first call changes the task.
 */
export async function endTaskOverBudget(taskId: string, message: string) {
  await settleUsageRecords();
  const calls = (await sumTaskSpend(taskId))?.modelCalls;
  const usage =
    calls && calls.calls > 0 ? { inputTokens: calls.inputTokens, outputTokens: calls.outputTokens, costUsd: Number(calls.costUsd) } : {};
  const payload = { error: message, usage };
  const appended = await markTaskFinished(
    taskId,
    { status: "budget_exceeded", error: message, ...usage, completedAt: new Date() },
    { type: "task.budget_exceeded", payload },
    activeTaskStatuses,
  );
  // Sent whenever the task is finished now (by this call or an earlier one): the event's id makes a repeat harmless.
  if (appended.finished) await sendTaskFinished({ taskId, ...appended.finished });
  if (appended.firstSeq === null || appended.appendedAt === null) return { status: "unchanged" as const };
  publishAppended(taskId, [{ type: "task.budget_exceeded", payload }], { firstSeq: appended.firstSeq, appendedAt: appended.appendedAt });
  return { status: "budget_exceeded" as const };
}
