import { query } from "@/server/db/client";
import { utcIsoSql } from "@/server/db/stored-time";
import { finishedTaskStatuses, type RunEventType } from "@/server/domain/task-vocabulary";

/**
 * The per-task progress log, `RunEvent`. Every event gets the task's next sequence number in
 * the statement that stores it (reserved on the Task row's `lastSeq`), so sequence numbers are
 * gap-free per task even under concurrent writers. Statements elsewhere in this folder that
 * change a task or an execution append their events in the same statement, with the SQL below.
 * Keyed by task id: the callers are the task's own steps, or services that found the task in the
 * caller's team first.
 */

/** An event as stored and as streams send it. */
export interface RunEvent {
  seq: number;
  type: RunEventType;
  payload: Record<string, unknown>;
  createdAt: string;
}

/** An event to append: the log gives it its seq and time. */
export interface NewRunEvent {
  type: RunEventType;
  payload?: Record<string, unknown>;
}

/**
 * What a statement that appends returns (APPENDED_COLUMNS): the first seq it stored and the
 * time, as ISO; both null when it appended nothing (its guard failed).
 */
export interface AppendedEvents {
  firstSeq: number | null;
  appendedAt: string | null;
}

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

/** The channel on which appends are announced to other processes (see run-event-announcements.ts). */
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

/** Appends events to a task's log in order, in one statement; `stored` is 0 when the task does not exist. */
export async function insertRunEvents(taskId: string, events: readonly NewRunEvent[]) {
  const { rows } = await query<{ stored: number; firstSeq: number; appendedAt: string }>(APPEND, [
    taskId,
    events.map((event) => event.type),
    events.map((event) => JSON.stringify(event.payload ?? {})),
  ]);
  return rows[0]!;
}

/** A task's events after `afterSeq`, in order, at most `limit`. */
export async function readRunEvents(taskId: string, afterSeq = 0, limit = 1000): Promise<RunEvent[]> {
  const { rows } = await query<RunEvent>(
    `SELECT seq, type, payload, ${utcIsoSql('"createdAt"')} AS "createdAt"
     FROM "RunEvent" WHERE "taskId" = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [taskId, afterSeq, limit],
  );
  return rows;
}

/**
 * Where a task's log ends now (0 when empty or when the task does not exist), a stream hub's
 * starting place, and whether the task had finished then (its log may have been pruned since).
 */
export async function readLastRunEventSeq(taskId: string): Promise<{ lastSeq: number; finished: boolean }> {
  const { rows } = await query<{ lastSeq: number; finished: boolean }>(
    `SELECT "lastSeq", status::text = ANY($2) AS finished FROM "Task" WHERE id = $1`,
    [taskId, [...finishedTaskStatuses]],
  );
  return rows[0] ?? { lastSeq: 0, finished: false };
}
