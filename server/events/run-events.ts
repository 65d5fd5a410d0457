import { EventEmitter } from "node:events";
import { insertRunEvents, type NewRunEvent, type RunEvent } from "@/server/db/queries/run-events";
import { processWide } from "@/server/process-wide";
import type { RunEventType } from "@/server/domain/task-vocabulary";

/**
 * The per-task progress log as the rest of Chorus uses it: append (stored with gap-free
 * sequence numbers by server/db/queries/run-events.ts) and tell this process's listeners at
 * once. Streams also re-read the log, which covers events written by other processes
 * (scale-out).
 */
export { runEventTypes, type RunEventType } from "@/server/domain/task-vocabulary";

/** One emitter per process (see processWide), with no cap on listeners: one per open stream. */
export function processEmitter(name: string): EventEmitter {
  return processWide(name, () => new EventEmitter().setMaxListeners(0));
}

const bus = () => processEmitter("chorus.run-events");

/** Appends events to a task's log in order, in one statement, and tells this process's listeners. */
export async function appendRunEvents(taskId: string, events: readonly NewRunEvent[]): Promise<RunEvent[]> {
  if (events.length === 0) return [];
  const appended = await insertRunEvents(taskId, events);
  if (appended.stored !== events.length) throw new Error(`appendRunEvents: task ${taskId} does not exist`);
  return publishAppended(taskId, events, appended);
}

/** Tells this process's listeners about events a statement stored (from its APPENDED_COLUMNS). */
export function publishAppended(
  taskId: string,
  events: readonly NewRunEvent[],
  appended: { firstSeq: number; appendedAt: string },
): RunEvent[] {
  const stored = events.map((event, index) => ({
    seq: appended.firstSeq + index,
    type: event.type,
    payload: event.payload ?? {},
    createdAt: appended.appendedAt,
  }));
  publishRunEvents(taskId, stored);
  return stored;
}

/** The bus's name for "any task's log grew" (no task id looks like it): the team stream listens to it. */
const ANY_TASK = "*";

/** Tells this process's listeners about events just stored. */
export function publishRunEvents(taskId: string, events: readonly RunEvent[]) {
  for (const event of events) bus().emit(taskId, event);
  if (events.length > 0) bus().emit(ANY_TASK, taskId, events);
}

/** Calls `listener` with the events appended to any task in this process; returns the unsubscribe. */
export function onAnyTaskRunEvents(listener: (taskId: string, events: readonly RunEvent[]) => void): () => void {
  bus().on(ANY_TASK, listener);
  return () => bus().off(ANY_TASK, listener);
}

export async function appendRunEvent(taskId: string, type: RunEventType, payload: Record<string, unknown> = {}): Promise<RunEvent> {
  const [event] = await appendRunEvents(taskId, [{ type, payload }]);
  return event!;
}

/** Calls `listener` for each event appended to `taskId` in this process; returns the unsubscribe. */
export function onRunEvent(taskId: string, listener: (event: RunEvent) => void): () => void {
  bus().on(taskId, listener);
  return () => bus().off(taskId, listener);
}
