/**
 * Every SQL statement the executor runs, on raw `pg` for speed. Tables are the Prisma models
 * WorkflowRun, WorkflowStep and WorkflowWait (see docs/executor.md for what each column means).
 *
 * Invariants the statements keep:
 * - A worker may write a run's state only while it holds the run's lease; every write that
 *   needs it checks `leaseOwner` and `status = 'running'` in the same statement.
 * - While a run is leased its `runAfter` equals `leaseExpiresAt`, so the one `runAfter <= now`
 *   index scan finds both runnable work and runs whose worker died.
 * - Whatever resolves a wait (an event, a child run finishing, a timeout, a cancellation)
 *   deletes the wait row first, so exactly one resolution wins.
 * - Timestamps are UTC wall-clock (`timestamp(3)` as Prisma stores them), from the database's
 *   clock, so workers on different hosts agree on leases.
 */
import type pg from "pg";

const NOW = `timezone('UTC', now())`;
const afterMs = (param: string) => `${NOW} + ${param}::double precision * interval '1 millisecond'`;

/** Wakes runs whose waits were just resolved: now, or (if a worker holds them) when it lets go. */
const WAKE_RUN = `
  "runAfter" = CASE WHEN p."leaseExpiresAt" > ${NOW} THEN p."runAfter" ELSE ${NOW} END,
  "wakeRequested" = COALESCE(p."leaseExpiresAt" > ${NOW}, false),
  "updatedAt" = ${NOW}`;

export interface NewRun {
  id: string;
  functionId: string;
  event: Record<string, unknown>;
}

export interface ClaimedRun {
  id: string;
  functionId: string;
  /** The triggering event as JSON text; parsed afresh for every execution. */
  event: string;
  attempt: number;
  parentRunId: string | null;
  previousOwner: string | null;
}

export interface StoredStep {
  stepId: string;
  data: string | null;
  error: string | null;
}

export interface WaitSpec {
  stepId: string;
  kind: "sleep" | "event" | "invoke";
  eventName?: string;
  condition?: string;
  /** Expires this long from now; or at `until` (ISO); or never when both are absent. */
  delayMs?: number;
  until?: string;
  child?: NewRun;
}

export interface EventWait {
  runId: string;
  stepId: string;
  eventName: string;
  condition: string | null;
  /** The waiting run's triggering event (JSON text): `event` in the wait's expression. */
  runEvent: string;
}

export interface WaitResolution {
  runId: string;
  stepId: string;
  /** JSON text of the step's result, or of its error. */
  data?: string;
  error?: string;
}

export interface RunOutcome {
  status: "completed" | "failed";
  output: string | null;
  error: string | null;
  attempt: number;
}

export type PersistResult = { seq: number } | { conflict: true } | { lost: true };

const INVOKE_TIMEOUT_ERROR = JSON.stringify({
  name: "InngestInvokeTimeoutError",
  message: "Timed out waiting for the invoked function to finish",
});

const CANCELLED_CHILD_ERROR = JSON.stringify({
  name: "InngestFunctionCancelledError",
  message: "The invoked function run was cancelled",
});

export class RunStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly workerId: string,
    private readonly leaseMs: number,
  ) {}

  /** Creates runs for ingested events; an existing id (the same event sent again) is skipped. */
  async insertRuns(runs: NewRun[]): Promise<string[]> {
    if (runs.length === 0) return [];
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO "WorkflowRun" ("id", "functionId", "event", "status", "runAfter", "createdAt", "updatedAt")
       SELECT x."id", x."functionId", x."event", 'running', ${NOW}, ${NOW}, ${NOW}
       FROM jsonb_to_recordset($1::jsonb) AS x("id" text, "functionId" text, "event" jsonb)
       ON CONFLICT ("id") DO NOTHING
       RETURNING "id"`,
      [JSON.stringify(runs)],
    );
    return rows.map((row) => row.id);
  }

  /** Takes up to `limit` runnable runs (new, woken, retrying, or left by a dead worker) under lease. */
  async claim(limit: number): Promise<ClaimedRun[]> {
    const { rows } = await this.pool.query<ClaimedRun>({
      name: "chorus-executor-claim",
      text: `WITH picked AS (
               SELECT "id", "leaseOwner" FROM "WorkflowRun"
               WHERE "status" = 'running' AND "runAfter" <= ${NOW}
               ORDER BY "runAfter"
               LIMIT $2
               FOR UPDATE SKIP LOCKED
             )
             UPDATE "WorkflowRun" r SET
               "leaseOwner" = $1, "leaseExpiresAt" = ${afterMs("$3")}, "runAfter" = ${afterMs("$3")},
               "wakeRequested" = false, "updatedAt" = ${NOW}
             FROM picked WHERE r."id" = picked."id"
             RETURNING r."id", r."functionId", r."event"::text AS "event", r."attempt", r."parentRunId",
                       picked."leaseOwner" AS "previousOwner"`,
      values: [this.workerId, limit, this.leaseMs],
    });
    return rows;
  }

  /**
   * A claimed run's memoised steps in completion order and the steps it still waits on. Waits
   * that expired are resolved first, in the same statement: a sleep or waitForEvent with
   * `null`, an invoke with a timeout error.
   */
  async loadRunState(runId: string): Promise<{ steps: StoredStep[]; waiting: string[] }> {
    const { rows } = await this.pool.query<StoredStep & { row: "step" | "wait" }>({
      name: "chorus-executor-load",
      text: `WITH expired AS (
               DELETE FROM "WorkflowWait" WHERE "runId" = $1 AND "expiresAt" <= ${NOW}
               RETURNING "stepId", "kind"
             ), timed_out AS (
               INSERT INTO "WorkflowStep" ("runId", "stepId", "data", "error")
               SELECT $1, "stepId",
                      CASE WHEN "kind" = 'invoke' THEN NULL ELSE 'null'::json END,
                      CASE WHEN "kind" = 'invoke' THEN $2::json END
               FROM expired
               ON CONFLICT DO NOTHING
               RETURNING "stepId", "seq", "data"::text AS "data", "error"::text AS "error"
             )
             SELECT 'step' AS "row", "stepId", "seq", "data"::text AS "data", "error"::text AS "error"
               FROM "WorkflowStep" WHERE "runId" = $1
             UNION ALL SELECT 'step', "stepId", "seq", "data", "error" FROM timed_out
             UNION ALL SELECT 'wait', "stepId", NULL, NULL, NULL
               FROM "WorkflowWait" WHERE "runId" = $1 AND ("expiresAt" IS NULL OR "expiresAt" > ${NOW})
             ORDER BY "seq" NULLS LAST`,
      values: [runId, INVOKE_TIMEOUT_ERROR],
    });
    return {
      steps: rows.filter((row) => row.row === "step").map(({ stepId, data, error }) => ({ stepId, data, error })),
      waiting: rows.filter((row) => row.row === "wait").map((row) => row.stepId),
    };
  }

  /**
   * The hot path: one completed step, one INSERT, one round trip, with the lease check folded
   * in. `resetAttempt` also zeroes the run's attempt counter (only needed after a retry).
   */
  async persistStep(
    runId: string,
    step: { stepId: string; name: string | null; data: string | null; error: string | null },
    resetAttempt: boolean,
  ): Promise<PersistResult> {
    const values = [runId, step.stepId, step.name, step.data, step.error, this.workerId];
    const { rows } = await this.pool.query<{ seq: string }>(
      resetAttempt
        ? {
            name: "chorus-executor-persist-step-reset",
            text: `WITH held AS (
                     UPDATE "WorkflowRun" SET "attempt" = 0, "updatedAt" = ${NOW}
                     WHERE "id" = $1 AND "leaseOwner" = $6 AND "status" = 'running'
                     RETURNING "id"
                   )
                   INSERT INTO "WorkflowStep" ("runId", "stepId", "name", "data", "error")
                   SELECT "id", $2, $3, $4::json, $5::json FROM held
                   ON CONFLICT DO NOTHING
                   RETURNING "seq"`,
            values,
          }
        : {
            name: "chorus-executor-persist-step",
            text: `INSERT INTO "WorkflowStep" ("runId", "stepId", "name", "data", "error")
                   SELECT r."id", $2, $3, $4::json, $5::json FROM "WorkflowRun" r
                   WHERE r."id" = $1 AND r."leaseOwner" = $6 AND r."status" = 'running'
                   ON CONFLICT DO NOTHING
                   RETURNING "seq"`,
            values,
          },
    );
    const row = rows[0];
    if (row) return { seq: Number(row.seq) };
    return (await this.holdsLease(runId)) ? { conflict: true } : { lost: true };
  }

  async holdsLease(runId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `SELECT 1 FROM "WorkflowRun" WHERE "id" = $1 AND "leaseOwner" = $2 AND "status" = 'running'`,
      [runId, this.workerId],
    );
    return rowCount === 1;
  }

  /**
   * Records what a run now waits on, and creates the child run of each `step.invoke` in the
   * same statement (the child's id is derived from the parent, so a replay cannot fork it).
   * Returns false when the lease was lost.
   */
  async createWaits(runId: string, waits: WaitSpec[]): Promise<{ held: boolean; children: number }> {
    const specs = waits.map((wait) => ({
      stepId: wait.stepId,
      kind: wait.kind,
      eventName: wait.eventName ?? null,
      condition: wait.condition ?? null,
      delayMs: wait.delayMs ?? null,
      until: wait.until ?? null,
      childId: wait.child?.id ?? null,
      childFunctionId: wait.child?.functionId ?? null,
      childEvent: wait.child?.event ?? null,
    }));
    const { rows } = await this.pool.query<{ held: number; children: number }>(
      `WITH held AS (
         SELECT "id" FROM "WorkflowRun" WHERE "id" = $1 AND "leaseOwner" = $2 AND "status" = 'running'
       ), spec AS (
         SELECT * FROM jsonb_to_recordset($3::jsonb) AS x(
           "stepId" text, "kind" text, "eventName" text, "condition" text, "delayMs" double precision,
           "until" text, "childId" text, "childFunctionId" text, "childEvent" jsonb)
       ), waits AS (
         INSERT INTO "WorkflowWait" ("runId", "stepId", "kind", "eventName", "condition", "expiresAt")
         SELECT held."id", s."stepId", s."kind", s."eventName", s."condition",
                COALESCE(timezone('UTC', s."until"::timestamptz), ${afterMs('s."delayMs"')})
         FROM spec s CROSS JOIN held
         ON CONFLICT DO NOTHING
         RETURNING "stepId"
       ), children AS (
         INSERT INTO "WorkflowRun" ("id", "functionId", "event", "status", "parentRunId", "parentStepId", "runAfter", "createdAt", "updatedAt")
         SELECT s."childId", s."childFunctionId", s."childEvent", 'running', $1, s."stepId", ${NOW}, ${NOW}, ${NOW}
         FROM spec s JOIN waits w ON w."stepId" = s."stepId"
         WHERE s."kind" = 'invoke'
         ON CONFLICT DO NOTHING
         RETURNING "id"
       )
       SELECT (SELECT count(*) FROM held)::int AS "held", (SELECT count(*) FROM children)::int AS "children"`,
      [runId, this.workerId, JSON.stringify(specs)],
    );
    return { held: rows[0]?.held === 1, children: rows[0]?.children ?? 0 };
  }

  /**
   * Lets go of a run that now only waits: it becomes runnable when its earliest wait expires,
   * or at once if something resolved one of its waits while we held it. Returns how long until
   * then (null: only an event or a child can wake it), or undefined when the lease was lost.
   */
  async park(runId: string, attempt: number): Promise<{ wakeInMs: number | null } | undefined> {
    const { rows } = await this.pool.query<{ wakeInMs: number | null }>(
      `UPDATE "WorkflowRun" SET
         "runAfter" = CASE WHEN "wakeRequested" THEN ${NOW}
                      ELSE (SELECT min(w."expiresAt") FROM "WorkflowWait" w WHERE w."runId" = $1) END,
         "wakeRequested" = false, "leaseOwner" = NULL, "leaseExpiresAt" = NULL, "attempt" = $3, "updatedAt" = ${NOW}
       WHERE "id" = $1 AND "leaseOwner" = $2 AND "status" = 'running'
       RETURNING (extract(epoch FROM ("runAfter" - ${NOW})) * 1000)::float8 AS "wakeInMs"`,
      [runId, this.workerId, attempt],
    );
    return rows[0];
  }

  /** Lets go of a run to be retried after `delayMs`, recording the attempt and its error. */
  async scheduleRetry(runId: string, attempt: number, delayMs: number, error: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE "WorkflowRun" SET
         "runAfter" = ${afterMs("$4")}, "attempt" = $3, "error" = $5::jsonb,
         "wakeRequested" = false, "leaseOwner" = NULL, "leaseExpiresAt" = NULL, "updatedAt" = ${NOW}
       WHERE "id" = $1 AND "leaseOwner" = $2 AND "status" = 'running'`,
      [runId, this.workerId, attempt, delayMs, error],
    );
    return rowCount === 1;
  }

  /** Lets go of runs this worker holds so any worker can continue them now (shutdown). */
  async release(runIds: string[], attempt?: number): Promise<void> {
    if (runIds.length === 0) return;
    await this.pool.query(
      `UPDATE "WorkflowRun" SET
         "runAfter" = ${NOW}, "wakeRequested" = false, "leaseOwner" = NULL, "leaseExpiresAt" = NULL,
         "attempt" = COALESCE($3, "attempt"), "updatedAt" = ${NOW}
       WHERE "id" = ANY($1::text[]) AND "leaseOwner" = $2 AND "status" = 'running'`,
      [runIds, this.workerId, attempt ?? null],
    );
  }

  /** Extends the leases of runs in progress; returns the ids still held (the rest were lost). */
  async renewLeases(runIds: string[]): Promise<Set<string>> {
    if (runIds.length === 0) return new Set();
    const { rows } = await this.pool.query<{ id: string }>(
      `UPDATE "WorkflowRun" SET "leaseExpiresAt" = ${afterMs("$3")}, "runAfter" = ${afterMs("$3")}
       WHERE "id" = ANY($1::text[]) AND "leaseOwner" = $2 AND "status" = 'running'
       RETURNING "id"`,
      [runIds, this.workerId, this.leaseMs],
    );
    return new Set(rows.map((row) => row.id));
  }

  /**
   * Completes or fails a run, all in one statement: drops its leftover waits, hands its result
   * (or error) to the parent that invoked it and wakes that parent, and creates `spawn` runs
   * (its `onFailure` handler). Returns whether we still held it and which runs to wake.
   */
  async finish(runId: string, outcome: RunOutcome, spawn: NewRun[]): Promise<{ finished: boolean; woken: string[] }> {
    const { rows } = await this.pool.query<{ finished: number; woken: string[] | null }>(
      `WITH done AS (
         UPDATE "WorkflowRun" SET
           "status" = $3, "output" = $4::text::jsonb, "error" = $5::text::jsonb, "attempt" = $6,
           "completedAt" = ${NOW}, "updatedAt" = ${NOW}, "runAfter" = NULL, "wakeRequested" = false,
           "leaseOwner" = NULL, "leaseExpiresAt" = NULL
         WHERE "id" = $1 AND "leaseOwner" = $2 AND "status" = 'running'
         RETURNING "id", "parentRunId", "parentStepId"
       ), leftover AS (
         DELETE FROM "WorkflowWait" w USING done WHERE w."runId" = done."id"
       ), resolved AS (
         DELETE FROM "WorkflowWait" w USING done
         WHERE w."runId" = done."parentRunId" AND w."stepId" = done."parentStepId"
         RETURNING w."runId", w."stepId"
       ), handed AS (
         INSERT INTO "WorkflowStep" ("runId", "stepId", "data", "error")
         SELECT "runId", "stepId",
                CASE WHEN $3 = 'completed' THEN $4::text::json END,
                CASE WHEN $3 = 'failed' THEN $5::text::json END
         FROM resolved
         ON CONFLICT DO NOTHING
         RETURNING "runId"
       ), woken AS (
         UPDATE "WorkflowRun" p SET ${WAKE_RUN}
         FROM handed WHERE p."id" = handed."runId" AND p."status" = 'running'
         RETURNING p."id"
       ), spawned AS (
         INSERT INTO "WorkflowRun" ("id", "functionId", "event", "status", "runAfter", "createdAt", "updatedAt")
         SELECT x."id", x."functionId", x."event", 'running', ${NOW}, ${NOW}, ${NOW}
         FROM jsonb_to_recordset($7::jsonb) AS x("id" text, "functionId" text, "event" jsonb)
         WHERE EXISTS (SELECT 1 FROM done)
         ON CONFLICT ("id") DO NOTHING
         RETURNING "id"
       )
       SELECT (SELECT count(*) FROM done)::int AS "finished",
              ARRAY(SELECT "id" FROM woken UNION ALL SELECT "id" FROM spawned) AS "woken"`,
      [runId, this.workerId, outcome.status, outcome.output, outcome.error, outcome.attempt, JSON.stringify(spawn)],
    );
    return { finished: rows[0]?.finished === 1, woken: rows[0]?.woken ?? [] };
  }

  /** Runs of these functions that have not finished (candidates for `cancelOn`). */
  async runningRuns(functionIds: string[]): Promise<{ id: string; functionId: string; event: string; ageMs: number }[]> {
    if (functionIds.length === 0) return [];
    const { rows } = await this.pool.query<{ id: string; functionId: string; event: string; ageMs: number }>(
      `SELECT "id", "functionId", "event"::text AS "event",
              (extract(epoch FROM (${NOW} - "createdAt")) * 1000)::float8 AS "ageMs"
       FROM "WorkflowRun" WHERE "functionId" = ANY($1::text[]) AND "status" = 'running'`,
      [functionIds],
    );
    return rows;
  }

  /**
   * Cancels runs and, recursively, the runs they invoked that are still going. A cancelled
   * child's parent (when not cancelled itself) gets an error for its `step.invoke`.
   */
  async cancel(runIds: string[]): Promise<{ cancelled: string[]; woken: string[] }> {
    if (runIds.length === 0) return { cancelled: [], woken: [] };
    const { rows } = await this.pool.query<{ cancelled: string[]; woken: string[] }>(
      `WITH RECURSIVE doomed AS (
         SELECT "id" FROM "WorkflowRun" WHERE "id" = ANY($1::text[]) AND "status" = 'running'
         UNION
         SELECT c."id" FROM "WorkflowRun" c JOIN doomed d ON c."parentRunId" = d."id" WHERE c."status" = 'running'
       ), cancelled AS (
         UPDATE "WorkflowRun" r SET
           "status" = 'cancelled', "completedAt" = ${NOW}, "updatedAt" = ${NOW}, "runAfter" = NULL,
           "wakeRequested" = false, "leaseOwner" = NULL, "leaseExpiresAt" = NULL
         FROM doomed d WHERE r."id" = d."id" AND r."status" = 'running'
         RETURNING r."id", r."parentRunId", r."parentStepId"
       ), leftover AS (
         DELETE FROM "WorkflowWait" w USING cancelled c WHERE w."runId" = c."id"
       ), orphaned AS (
         DELETE FROM "WorkflowWait" w USING cancelled c
         WHERE w."runId" = c."parentRunId" AND w."stepId" = c."parentStepId"
           AND NOT EXISTS (SELECT 1 FROM doomed d WHERE d."id" = c."parentRunId")
         RETURNING w."runId", w."stepId"
       ), handed AS (
         INSERT INTO "WorkflowStep" ("runId", "stepId", "error")
         SELECT "runId", "stepId", $2::json FROM orphaned
         ON CONFLICT DO NOTHING
         RETURNING "runId"
       ), woken AS (
         UPDATE "WorkflowRun" p SET ${WAKE_RUN}
         FROM handed WHERE p."id" = handed."runId" AND p."status" = 'running'
         RETURNING p."id"
       )
       SELECT ARRAY(SELECT "id" FROM cancelled) AS "cancelled", ARRAY(SELECT "id" FROM woken) AS "woken"`,
      [runIds, CANCELLED_CHILD_ERROR],
    );
    return { cancelled: rows[0]?.cancelled ?? [], woken: rows[0]?.woken ?? [] };
  }

  /** `waitForEvent` waits on any of these event names, with the waiting run's own event. */
  async eventWaits(eventNames: string[]): Promise<EventWait[]> {
    if (eventNames.length === 0) return [];
    const { rows } = await this.pool.query<EventWait>(
      `SELECT w."runId", w."stepId", w."eventName", w."condition", r."event"::text AS "runEvent"
       FROM "WorkflowWait" w JOIN "WorkflowRun" r ON r."id" = w."runId"
       WHERE w."eventName" = ANY($1::text[]) AND w."kind" = 'event' AND r."status" = 'running'
       ORDER BY w."createdAt"`,
      [eventNames],
    );
    return rows;
  }

  /** Resolves waits with their results and wakes their runs; returns the runs to wake. */
  async resolveWaits(resolutions: WaitResolution[]): Promise<string[]> {
    if (resolutions.length === 0) return [];
    const { rows } = await this.pool.query<{ id: string }>(
      `WITH x AS (
         SELECT * FROM json_to_recordset($1::json) AS x("runId" text, "stepId" text, "data" json, "error" json)
       ), resolved AS (
         DELETE FROM "WorkflowWait" w USING x WHERE w."runId" = x."runId" AND w."stepId" = x."stepId"
         RETURNING w."runId", w."stepId"
       ), handed AS (
         INSERT INTO "WorkflowStep" ("runId", "stepId", "data", "error")
         SELECT x."runId", x."stepId", x."data", x."error" FROM x JOIN resolved USING ("runId", "stepId")
         ON CONFLICT DO NOTHING
         RETURNING "runId"
       )
       UPDATE "WorkflowRun" p SET ${WAKE_RUN}
       FROM (SELECT DISTINCT "runId" FROM handed) h WHERE p."id" = h."runId" AND p."status" = 'running'
       RETURNING p."id"`,
      [
        `[${resolutions
          .map((r) => `{"runId":${JSON.stringify(r.runId)},"stepId":${JSON.stringify(r.stepId)},"data":${r.data ?? "null"},"error":${r.error ?? "null"}}`)
          .join(",")}]`,
      ],
    );
    return rows.map((row) => row.id);
  }

  /**
   * True while any run is runnable now, held by a worker, or backing off before a retry; runs
   * that only wait (sleep, waitForEvent, invoke) don't count (see `idle()`).
   */
  async hasPendingWork(): Promise<boolean> {
    const { rows } = await this.pool.query<{ pending: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM "WorkflowRun" r
         WHERE r."status" = 'running'
           AND (r."runAfter" <= ${NOW} OR r."leaseOwner" IS NOT NULL
                OR (r."runAfter" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "WorkflowWait" w WHERE w."runId" = r."id")))
       ) AS "pending"`,
    );
    return rows[0]?.pending ?? false;
  }
}
