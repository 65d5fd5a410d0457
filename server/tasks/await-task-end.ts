import type { Caller } from "@/server/auth/caller";
import type { RunEvent } from "@/server/db/queries/run-events";
import { isTaskActive, terminalEventTypes } from "@/server/domain/task-vocabulary";
import { AppError } from "@/server/errors";
import { taskEventFeed } from "@/server/events/task-event-feed";
import { getTask } from "./tasks";
import type { TaskView } from "./task-views";

/**
 * Waits for one of the caller's tasks to finish, for surfaces that answer with the result rather
 * than a stream of their own (the OpenAI-compatible endpoint, the MCP server's run_task): follows
 * the task's run events — handing each to `onEvent`, for progress — until the terminal one, then
 * reads the finished task. Returns undefined when `signal` aborts first; the task runs on.
 */
export async function awaitTaskEnd(
  caller: Caller,
  taskId: string,
  signal: AbortSignal,
  onEvent?: (event: RunEvent) => void,
): Promise<TaskView | undefined> {
  let ended = false;
  for await (const event of taskEventFeed(taskId, 0, signal)) {
    onEvent?.(event);
    if (terminalEventTypes.includes(event.type)) ended = true;
  }
  if (!ended && signal.aborted) return undefined;
  const task = await getTask(caller, taskId);
  // The feed stopped without the terminal event only when the log could not be read.
  if (isTaskActive(task.status)) throw new AppError("unavailable", "Chorus lost track of the task's progress; try again shortly");
  return task;
}
