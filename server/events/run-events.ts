import { EventEmitter } from "node:events";
import { query } from "@/server/db/client";
import { processWide } from "@/server/process-wide";
import type { RunEventType } from "@/server/domain/task-vocabulary";
import { utcIsoSql } from "@/server/db/stored-time";

/**
 * The per-task progress log. Every event gets the task's next sequence number in the same
 * statement that stores it, so a stream can resume from any `seq` with nothing lost or
 * repeated. Listeners in this process are told at once; streams also re-read the log, which
 * covers events written by other processes (scale-out).
 */
export { runEventTypes, type RunEventType } from "@/server/domain/task-vocabulary";

export interface RunEvent {
  seq: number;
  type: RunEventType;
  payload: Record<string, unknown>;
  createdAt: string;
}

/** One emitter per process (see processWide), with no cap on listeners: one per open stream. */
export function processEmitter(name: string): EventEmitter {
  return processWide(name, () => new EventEmitter().setMaxListeners(0));
}

const bus = () => processEmitter("chorus.run-events");

/**
 * SQL that appends events inside a larger statement, as two CTEs: `next` reserves the task's
 * next seqs on its row (which also serialises writers per task) and `appended` inserts the
 * events with them, returning (seq, createdAt). `types` is a text[] and `payloads` a jsonb[]
 * SQL expression; `guard` is a condition the append depends on (e.g. another CTE wrote a row).
 * A statement that itself updates the Task row must fold the seq reservation into that
 * UPDATE instead (a row is updated once per statement).
 */
export function appendRunEventsSql(options: { taskId: string; types: string; payloads: string; guard?: string }): string {
  const { taskId, types, payloads, guard = "true" } = options;
  return `next AS (
  UPDATE "Task" SET "lastSeq" = "lastSeq" + cardinality(${types}) WHERE id = ${taskId} AND ${guard} RETURNING "lastSeq"
), appended AS (
  INSERT INTO "RunEvent" ("taskId", seq, type, payload)
  SELECT ${taskId}, next."lastSeq" - cardinality(${types}) + e.ord, e.type, e.payload
  FROM next, unnest(${types}, ${payloads}) WITH ORDINALITY AS e(type, payload, ord)
  RETURNING "taskId", seq, "createdAt"
)`;
}

/** The channel on which appends are announced to other processes (see remote-events.ts). */
export const RUN_EVENTS_CHANNEL = "chorus_run_events";

/**
 * How a statement returns what it appended (an `appended` CTE returning "taskId", seq and
 * "createdAt"): the first seq and the time, as ISO. On connections that announce appends
 * (`announceRunEvents`) it also NOTIFYs `<taskId> <application_name>`, delivered when the
 * statement commits, so that streams open in other processes read it at once instead of at
 * their next poll.
 */
export const APPENDED_COLUMNS = `(SELECT min(seq) FROM appended) AS "firstSeq", (SELECT ${utcIsoSql('min("createdAt")')} FROM appended) AS "appendedAt",
  (SELECT CASE WHEN current_setting('chorus.announce_run_events', true) = 'on'
               THEN pg_notify('${RUN_EVENTS_CHANNEL}', min("taskId") || ' ' || current_setting('application_name')) END
   FROM appended HAVING count(*) > 0)::text AS "announced"`;

const APPEND = `WITH ${appendRunEventsSql({ taskId: "$1", types: "$2::text[]", payloads: "$3::jsonb[]" })}
SELECT count(*)::int AS stored, ${APPENDED_COLUMNS} FROM appended`;

export interface NewRunEvent {
  type: RunEventType;
  payload?: Record<string, unknown>;
}

/** Appends events to a task's log in order, in one statement, and tells this process's listeners. */
export async function appendRunEvents(taskId: string, events: readonly NewRunEvent[]): Promise<RunEvent[]> {
  if (events.length === 0) return [];
  const { rows } = await query<{ stored: number; firstSeq: number; appendedAt: string }>(APPEND, [
    taskId,
    events.map((event) => event.type),
    events.map((event) => JSON.stringify(event.payload ?? {})),
  ]);
  if (rows[0]!.stored !== events.length) throw new Error(`appendRunEvents: task ${taskId} does not exist`);
  return publishAppended(taskId, events, rows[0]!);
}

/** Tells this process's listeners about events a statement stored (from its APPENDED_COLUMNS). */
export function publishAppended(taskId: string, events: readonly NewRunEvent[], appended: { firstSeq: number; appendedAt: string }): RunEvent[] {
  const stored = events.map((event, index) => ({ seq: appended.firstSeq + index, type: event.type, payload: event.payload ?? {}, createdAt: appended.appendedAt }));
  publishRunEvents(taskId, stored);
  return stored;
}

/** Tells this process's listeners about events just stored. */
export function publishRunEvents(taskId: string, events: readonly RunEvent[]) {
  for (const event of events) bus().emit(taskId, event);
}

export async function appendRunEvent(taskId: string, type: RunEventType, payload: Record<string, unknown> = {}): Promise<RunEvent> {
  const [event] = await appendRunEvents(taskId, [{ type, payload }]);
  return event!;
}

export async function readRunEvents(taskId: string, afterSeq = 0, limit = 1000): Promise<RunEvent[]> {
  const { rows } = await query<RunEvent>(
    `SELECT seq, type, payload, ${utcIsoSql('"createdAt"')} AS "createdAt"
     FROM "RunEvent" WHERE "taskId" = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [taskId, afterSeq, limit],
  );
  return rows;
}

/** Calls `listener` for each event appended to `taskId` in this process; returns the unsubscribe. */
export function onRunEvent(taskId: string, listener: (event: RunEvent) => void): () => void {
  bus().on(taskId, listener);
  return () => bus().off(taskId, listener);
}

