import { listenForRunEventAnnouncements } from "@/server/db/run-event-announcements";
import { processEmitter } from "./run-events";

/**
 * Run events appended by other processes — several workers (CHORUS_WORKERS) or replicas on one
 * database. Every statement that appends to a task's log announces it with NOTIFY (see
 * APPENDED_COLUMNS); one connection per process LISTENs (server/db/run-event-announcements.ts),
 * and each announcement nudges that task's open streams here to re-read the log at once.
 * Announcements made by this process are skipped: its streams heard those events directly.
 * While the connection is down, streams still re-read the log every second.
 */
const emitter = () => processEmitter("chorus.remote-run-events");

/** Calls `listener` when another process appends to `taskId`'s log; returns the unsubscribe. */
export function onRemoteAppend(taskId: string, listener: () => void): () => void {
  emitter().on(taskId, listener);
  return () => emitter().off(taskId, listener);
}

/** The emitter's name for "another process appended to some task" (no task id looks like it). */
const ANY_TASK = "*";

/** Calls `listener` when another process appends to any task's log (the team stream); returns the unsubscribe. */
export function onAnyRemoteAppend(listener: (taskId: string) => void): () => void {
  emitter().on(ANY_TASK, listener);
  return () => emitter().off(ANY_TASK, listener);
}

/** Nudges this process's streams on each announcement until the returned stop is called; reconnects after a lost connection. */
export function listenForRemoteEvents(
  url: string,
  options: { retryMs?: number } = {},
): { ready: Promise<void>; stop: () => Promise<void> } {
  return listenForRunEventAnnouncements(
    url,
    (taskId) => {
      emitter().emit(taskId);
      emitter().emit(ANY_TASK, taskId);
    },
    options,
  );
}
