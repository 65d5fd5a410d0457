import { findTaskStatus } from "@/server/db/queries/tasks";
import { onRunEvent } from "@/server/events/run-events";

/**
 * An AbortSignal that fires when the task is cancelled: at once when the cancellation happens
 * in this process (the run-event bus), within `pollMs` when it happens in another one (a
 * status read). Agents pass it to the model call, so a cancel stops token spend. A task that
 * ended over budget (`budget_exceeded`) stops its other agents the same way.
 */
export class TaskCancelledError extends Error {
  constructor(taskId: string) {
    super(`Task ${taskId} was cancelled`);
    this.name = "TaskCancelledError";
  }
}

export function watchForCancellation(taskId: string, pollMs = 500) {
  const controller = new AbortController();
  const cancel = () => controller.abort(new TaskCancelledError(taskId));
  const unsubscribe = onRunEvent(taskId, (event) => {
    if (event.type === "task.cancelled" || event.type === "task.budget_exceeded") cancel();
  });
  const timer = setInterval(() => {
    findTaskStatus(taskId)
      .then((status) => {
        if (status === "cancelled" || status === "budget_exceeded") cancel();
      })
      .catch(() => undefined);
  }, pollMs);
  timer.unref();
  return {
    signal: controller.signal,
    stop() {
      clearInterval(timer);
      unsubscribe();
    },
  };
}

/**
 * Runs a model call that cancelling the task must stop (the planner's, the aggregator's): the
 * signal aborts the provider request, and the call then rejects with a TaskCancelledError.
 */
export async function untilCancelled<T>(taskId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const cancellation = watchForCancellation(taskId);
  try {
    return await work(cancellation.signal);
  } catch (error) {
    if (cancellation.signal.aborted) throw new TaskCancelledError(taskId);
    throw error;
  } finally {
    cancellation.stop();
  }
}

/** Whether agents may work on the task now (it is running: not waiting, finished or cancelled). */
export async function isTaskRunning(taskId: string): Promise<boolean> {
  return (await findTaskStatus(taskId)) === "running";
}
