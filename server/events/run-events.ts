import { EventEmitter } from "node:events";
import { getPool } from "@/server/db/client";
import type { RunEventType } from "@/server/tasks/task-vocabulary";

/**
 * The per-task progress log. Every event gets the task's next sequence number in the same
 * statement that stores it, so a stream can resume from any `seq` with nothing lost or
 * repeated. Listeners in this process are told at once; streams also re-read the log, which
 * covers events written by other processes (scale-out).
 */
export { runEventTypes, type RunEventType } from "@/server/tasks/task-vocabulary";

export interface RunEvent {
  seq: number;
  type: RunEventType;
  payload: Record<string, unknown>;
  createdAt: string;
}

const busKey = Symbol.for("chorus.run-events");
type GlobalWithBus = typeof globalThis & { [busKey]?: EventEmitter };

function bus(): EventEmitter {
  const store = globalThis as GlobalWithBus;
  if (!store[busKey]) {
    store[busKey] = new EventEmitter();
    store[busKey].setMaxListeners(0);
  }
  return store[busKey];
}

// One round trip for any number of events: reserve `n` sequence numbers on the task row (which
// also serialises writers per task) and insert the events with them.
const APPEND = `
WITH next AS (
  UPDATE "Task" SET "lastSeq" = "lastSeq" + cardinality($2::text[]) WHERE id = $1 RETURNING "lastSeq"
)
INSERT INTO "RunEvent" ("taskId", seq, type, payload)
SELECT $1, next."lastSeq" - cardinality($2::text[]) + e.ord, e.type, e.payload::jsonb
FROM next, unnest($2::text[], $3::text[]) WITH ORDINALITY AS e(type, payload, ord)
RETURNING seq, "createdAt"`;

export interface NewRunEvent {
  type: RunEventType;
  payload?: Record<string, unknown>;
}

/** Appends events to a task's log in order, in one statement, and tells this process's listeners. */
export async function appendRunEvents(taskId: string, events: readonly NewRunEvent[]): Promise<RunEvent[]> {
  if (events.length === 0) return [];
  const { rows } = await getPool().query<{ seq: number; createdAt: Date }>(APPEND, [
    taskId,
    events.map((event) => event.type),
    events.map((event) => JSON.stringify(event.payload ?? {})),
  ]);
  if (rows.length !== events.length) throw new Error(`appendRunEvents: task ${taskId} does not exist`);
  const first = Math.min(...rows.map((row) => row.seq));
  const createdAt = rows[0]!.createdAt.toISOString();
  const stored = events.map((event, index) => ({ seq: first + index, type: event.type, payload: event.payload ?? {}, createdAt }));
  publishRunEvents(taskId, stored);
  return stored;
}

/** Tells this process's listeners about events just stored (by this module or in a statement that also wrote other rows). */
export function publishRunEvents(taskId: string, events: readonly RunEvent[]) {
  for (const event of events) bus().emit(taskId, event);
}

export async function appendRunEvent(taskId: string, type: RunEventType, payload: Record<string, unknown> = {}): Promise<RunEvent> {
  const [event] = await appendRunEvents(taskId, [{ type, payload }]);
  return event!;
}

export async function readRunEvents(taskId: string, afterSeq = 0, limit = 1000): Promise<RunEvent[]> {
  const { rows } = await getPool().query<{ seq: number; type: RunEventType; payload: Record<string, unknown>; createdAt: Date }>(
    `SELECT seq, type, payload, "createdAt" FROM "RunEvent" WHERE "taskId" = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [taskId, afterSeq, limit],
  );
  return rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() }));
}

/** Calls `listener` for each event appended to `taskId` in this process; returns the unsubscribe. */
export function onRunEvent(taskId: string, listener: (event: RunEvent) => void): () => void {
  bus().on(taskId, listener);
  return () => bus().off(taskId, listener);
}

