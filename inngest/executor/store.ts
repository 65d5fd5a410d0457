/**
 * Every SQL statement the executor runs, on raw `pg` for speed. Tables are the Prisma models
 * WorkflowRun, WorkflowStep and WorkflowWait (see README.md for what each column means).
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
 * - Concurrency slots are derived from lease state: a run whose lease has not expired holds
 *   `slots` slots in each group of its `concurrency`. Only two statements add slots — claiming
 *   a limited run and `takeSlots` — and both run under one advisory lock, after it is granted,
 *   so they always count each other's commits. Everything that frees a slot (finishing,
 *   parking, retrying, releasing, a lease expiring) needs no lock.
 */
import pg from "pg";
import { Batcher } from "./batcher";
import type { ConcurrencyGroup } from "./concurrency";
import { PRESENCE_HELD } from "./liveness";

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
  /** Its function's concurrency groups; null or absent when unlimited. */
  concurrency?: ConcurrencyGroup[] | null;
}

/** The columns a NewRun list is unpacked into by `jsonb_to_recordset`. */
const NEW_RUN_COLUMNS = `"id" text, "functionId" text, "event" jsonb, "concurrency" jsonb`;

export interface ClaimedRun {
  id: string;
  functionId: string;
  /** The triggering event as JSON text; parsed afresh for every execution. */
  event: string;
  attempt: number;
  parentRunId: string | null;
  previousOwner: string | null;
  /** The run's function has concurrency limits: its parallel steps need slots of their own. */
  limited: boolean;
  /** It has no steps or waits yet (just created, or claimed for the first time): nothing to load. */
  fresh?: boolean;
  /**
   * For a fresh run whose creating statement may not have committed yet: whether it created
   * the run (false: it failed, or the run already existed). Nothing is run or written before.
   */
  created?: Promise<boolean>;
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

/** A step result recorded in memory and not yet written. */
export interface PendingStep {
  stepId: string;
  name: string | null;
  /** JSON text of the step's result, or of its error (exactly one is set). */
  data: string | null;
  error: string | null;
}

/**
 * What writing a run's pending steps found: written; a step already stored by a worker whose
 * lease we took (theirs wins: reload and replay); or the run is no longer ours.
 */
export type PersistResult = { written: true } | { conflict: true } | { lost: true };

/**
 * A statement that writes several runs' rows may, rarely, deadlock with another one writing an
 * overlapping set (Postgres aborts one of them after `deadlock_timeout`): nothing was written,
 * so it is run again rather than failing every run of the batch.
 */
async function retryOnDeadlock<T>(statement: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      if ((error as { code?: string }).code !== "40P01" || attempt >= attempts) throw error;
    }
  }
}

interface Ingest {
  runs: (NewRun & { claim?: boolean })[];
  eventNames: string[];
}

export interface RunEnded {
  finished: boolean;
  /** Not finished, but still ours: one of its pending steps was stored already. */
  held: boolean;
  /** Runs woken (parents, `onFailure` handlers) that some worker must claim. */
  woken: string[];
  /** Parents woken and leased to this worker in the same statement: to be driven now. */
  adopted: ClaimedRun[];
}

interface RunEnd {
  runId: string;
  outcome: RunOutcome;
  spawn: NewRun[];
  steps: PendingStep[];
}

interface StepWrite {
  runId: string;
  steps: PendingStep[];
  resetAttempt: boolean;
}

/** The columns a PendingStep list is unpacked into by `json_to_recordset` (json keeps the text as sent). */
const PENDING_STEP_COLUMNS = `"stepId" text, "name" text, "data" json, "error" json, "ord" int`;
/**
 * Runs' pending steps as one JSON array for `json_to_recordset` (with `"runId" text` and
 * PENDING_STEP_COLUMNS), the steps' already-serialised results embedded as they are, `ord`
 * numbering them in the order they are to be stored.
 */
function pendingStepsJson(runs: { runId: string; steps: PendingStep[] }[]): string {
  let ord = 0;
  const rows = runs.flatMap(({ runId, steps }) =>
    steps.map(
      (step) =>
        `{"runId":${JSON.stringify(runId)},"stepId":${JSON.stringify(step.stepId)},"name":${JSON.stringify(step.name)},` +
        `"data":${step.data ?? "null"},"error":${step.error ?? "null"},"ord":${ord++}}`,
    ),
  );
  return `[${rows.join(",")}]`;
}

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

  /**
   * Ingests events in one statement: creates their runs (an existing id — the same event sent
   * again — is skipped), those marked `claim` already leased to this worker so it can start
   * them without claiming, and returns the `waitForEvent` waits on any of `eventNames` (with
   * the waiting run's own event) for the caller to match.
   */
  ingest(
    runs: (NewRun & { claim?: boolean })[],
    eventNames: string[],
  ): Promise<{ created: { id: string; claimed: boolean }[]; waits: EventWait[] }> {
    return this.ingester.submit({ runs, eventNames });
  }

  private readonly ingester = new Batcher<Ingest, { created: { id: string; claimed: boolean }[]; waits: EventWait[] }>(async (batch) => {
    const all = await retryOnDeadlock(() =>
      this.ingestBatch(
        batch.flatMap((request) => request.runs),
        [...new Set(batch.flatMap((request) => request.eventNames))],
      ),
    );
    // A run is created once, for the first request that asked (the same event sent twice at once).
    const unassigned = new Map(all.created.map((run) => [run.id, run]));
    return batch.map((request) => {
      const names = new Set(request.eventNames);
      const created = request.runs.flatMap((run) => {
        const row = unassigned.get(run.id);
        unassigned.delete(run.id);
        return row ? [row] : [];
      });
      return { created, waits: all.waits.filter((wait) => names.has(wait.eventName)) };
    });
  });

  private async ingestBatch(
    runs: (NewRun & { claim?: boolean })[],
    eventNames: string[],
  ): Promise<{ created: { id: string; claimed: boolean }[]; waits: EventWait[] }> {
    const { rows } = await this.pool.query<EventWait & { kind: "run" | "wait"; claimed: boolean | null }>({
      name: "chorus-executor-ingest",
      text: `WITH created AS (
               INSERT INTO "WorkflowRun" ("id", "functionId", "event", "concurrency", "status", "runAfter",
                                          "leaseOwner", "leaseExpiresAt", "createdAt", "updatedAt")
               SELECT x."id", x."functionId", x."event", x."concurrency", 'running',
                      CASE WHEN x."claim" THEN ${afterMs("$3")} ELSE ${NOW} END,
                      CASE WHEN x."claim" THEN $2 END,
                      CASE WHEN x."claim" THEN ${afterMs("$3")} END,
                      ${NOW}, ${NOW}
               FROM jsonb_to_recordset($1::jsonb) AS x(${NEW_RUN_COLUMNS}, "claim" boolean)
               ON CONFLICT ("id") DO NOTHING
               RETURNING "id", "leaseOwner" IS NOT NULL AS "claimed"
             )
             SELECT 'run' AS "kind", "id" AS "runId", NULL AS "stepId", NULL AS "eventName", NULL AS "condition",
                    NULL AS "runEvent", "claimed", NULL::timestamp AS "since"
               FROM created
             UNION ALL
             SELECT 'wait', w."runId", w."stepId", w."eventName", w."condition", r."event"::text, NULL, w."createdAt"
               FROM "WorkflowWait" w JOIN "WorkflowRun" r ON r."id" = w."runId"
               WHERE w."eventName" = ANY($4::text[]) AND w."kind" = 'event' AND r."status" = 'running'
             ORDER BY "since" NULLS FIRST`,
      values: [runs.length > 0 ? JSON.stringify(runs) : "[]", this.workerId, this.leaseMs, eventNames],
    });
    return {
      created: rows.filter((row) => row.kind === "run").map((row) => ({ id: row.runId, claimed: row.claimed === true })),
      waits: rows
        .filter((row) => row.kind === "wait")
        .map(({ runId, stepId, eventName, condition, runEvent }) => ({ runId, stepId, eventName, condition, runEvent })),
    };
  }

  /**
   * Takes up to `limit` runnable runs (new, woken, retrying, or left by a dead worker) under
   * lease: one statement, no lock. Runs with concurrency limits are left to `claimWithinLimits`.
   */
  async claim(limit: number): Promise<ClaimedRun[]> {
    const { rows } = await this.pool.query<ClaimedRun>({
      name: "chorus-executor-claim",
      text: `WITH picked AS (
               SELECT "id", "leaseOwner" FROM "WorkflowRun"
               WHERE "status" = 'running' AND "runAfter" <= ${NOW} AND "concurrency" IS NULL
               ORDER BY "runAfter"
               LIMIT $2
               FOR UPDATE SKIP LOCKED
             )
             UPDATE "WorkflowRun" r SET
               "leaseOwner" = $1, "leaseExpiresAt" = ${afterMs("$3")}, "runAfter" = ${afterMs("$3")},
               "wakeRequested" = false, "updatedAt" = ${NOW}
             FROM picked WHERE r."id" = picked."id"
             RETURNING r."id", r."functionId", r."event"::text AS "event", r."attempt", r."parentRunId",
                       picked."leaseOwner" AS "previousOwner", false AS "limited",
                       NOT EXISTS (SELECT 1 FROM "WorkflowStep" s WHERE s."runId" = r."id")
                       AND NOT EXISTS (SELECT 1 FROM "WorkflowWait" w WHERE w."runId" = r."id") AS "fresh"`,
      values: [this.workerId, limit, this.leaseMs],
    });
    return rows;
  }

  /**
   * Like `claim`, but also takes runs with concurrency limits, each only if every group it is in
   * has a free slot — counting the slots of leased runs and, within this batch, the runs ahead
   * of it (oldest first). Runs of a full group stay queued and cost nothing until a slot frees
   * (they are filtered out before the batch is picked, so they never crowd out other groups).
   * `deferred` counts runs left out because the batch itself filled their group: claiming
   * again at once may find other work.
   *
   * Taking slots is serialised across every executor on the database by an advisory lock. The
   * lock and the claim are one call of a SQL function (`chorus_claim_within_limits`, migration
   * `20261129000000_executor_claim_function`): one round trip, a plan Postgres keeps per
   * connection, and the claim's statement gets a snapshot taken after the lock was granted, so
   * it sees the slots the previous holder took. (It was a lock and an inlined statement sent as
   * one simple query, planned on every call: 5–6× the cost, all of it under the lock.)
   */
  async claimWithinLimits(limit: number): Promise<{ runs: ClaimedRun[]; deferred: number }> {
    const { rows } = await this.pool.query<{ runs: ClaimedRun[]; deferred: number }>({
      name: "chorus-executor-claim-within-limits",
      text: `SELECT "runs", "deferred" FROM "chorus_claim_within_limits"($1, $2, $3)`,
      values: [this.workerId, limit, this.leaseMs],
    });
    return rows[0] ?? { runs: [], deferred: 0 };
  }

  /**
   * Asks for more slots for a limited run that found parallel steps: up to `wanted` in all, as
   * many as every one of its groups has free (under the same lock, `chorus_take_slots`).
   * Returns the slots it now holds, or undefined when it already held `wanted` or lost its lease.
   */
  async takeSlots(runId: string, wanted: number): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ slots: number }>({
      name: "chorus-executor-take-slots",
      text: `SELECT "slots" FROM "chorus_take_slots"($1, $2, $3)`,
      values: [runId, this.workerId, wanted],
    });
    return rows[0]?.slots;
  }

  /** Gives back a limited run's extra slots once its parallel steps are done (no lock needed to free). */
  async returnSlots(runId: string, keep: number): Promise<void> {
    await this.pool.query(`UPDATE "WorkflowRun" SET "slots" = $3 WHERE "id" = $1 AND "leaseOwner" = $2 AND "slots" > $3`, [
      runId,
      this.workerId,
      keep,
    ]);
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
   * The hot path: a run's completed steps, written with the lease check folded in. Writes from
   * every run this worker drives are batched (group commit): while a batch is being written,
   * the next ones gather, so under load many steps share one statement and one commit, and
   * alone a write goes out at once. `resetAttempt` also zeroes the run's attempt counter (only
   * needed after a retry).
   */
  writeSteps(runId: string, steps: PendingStep[], resetAttempt: boolean): Promise<PersistResult> {
    return this.stepWriter.submit({ runId, steps, resetAttempt });
  }

  private readonly stepWriter = new Batcher<StepWrite, PersistResult>((batch) => retryOnDeadlock(() => this.writeStepBatch(batch)));

  private async writeStepBatch(batch: StepWrite[]): Promise<PersistResult[]> {
    const runIds = [...new Set(batch.map((write) => write.runId))];
    const resets = batch.filter((write) => write.resetAttempt).map((write) => write.runId);
    const { rows } = await this.pool.query<{ id: string; written: number }>({
      name: "chorus-executor-write-steps",
      text: `WITH x AS (
               SELECT * FROM json_to_recordset($1::json) AS x("runId" text, ${PENDING_STEP_COLUMNS})
             ), held AS (
               SELECT "id" FROM "WorkflowRun" WHERE "id" = ANY($2::text[]) AND "leaseOwner" = $3 AND "status" = 'running'
             ), reset AS (
               UPDATE "WorkflowRun" r SET "attempt" = 0, "updatedAt" = ${NOW}
               FROM held WHERE r."id" = held."id" AND r."id" = ANY($4::text[])
             ), inserted AS (
               INSERT INTO "WorkflowStep" ("runId", "stepId", "name", "data", "error")
               SELECT x."runId", x."stepId", x."name", x."data", x."error" FROM x JOIN held ON held."id" = x."runId"
               ORDER BY x."ord"
               ON CONFLICT DO NOTHING
               RETURNING "runId"
             )
             SELECT h."id", (SELECT count(*) FROM inserted i WHERE i."runId" = h."id")::int AS "written" FROM held h`,
      values: [pendingStepsJson(batch), runIds, this.workerId, resets],
    });
    const written = new Map(rows.map((row) => [row.id, row.written]));
    const wanted = new Map<string, number>();
    for (const write of batch) wanted.set(write.runId, (wanted.get(write.runId) ?? 0) + write.steps.length);
    return batch.map((write): PersistResult => {
      const count = written.get(write.runId);
      if (count === undefined) return { lost: true };
      return count < wanted.get(write.runId)! ? { conflict: true } : { written: true };
    });
  }

  /**
   * Records what a run now waits on, and creates the child run of each `step.invoke` in the
   * same statement (the child's id is derived from the parent, so a replay cannot fork it),
   * together with the run's pending `steps` (one commit), and — with `park` — lets go of the
   * run in the same statement, as `park` does. `held` is false when the lease was lost;
   * `conflict` when one of `steps` was already stored (nothing is written then).
   */
  async createWaits(
    runId: string,
    waits: WaitSpec[],
    steps: PendingStep[] = [],
    park?: { attempt: number },
  ): Promise<{ held: boolean; conflict: boolean; children: number; parked?: { wakeInMs: number | null } }> {
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
      childConcurrency: wait.child?.concurrency ?? null,
    }));
    const { rows } = await this.pool.query<{ owned: number; held: number; children: number; parked: number; wakeInMs: number | null }>({
      name: "chorus-executor-create-waits",
      text: `WITH owned AS (
         SELECT "id" FROM "WorkflowRun" WHERE "id" = $1 AND "leaseOwner" = $2 AND "status" = 'running'
       ), pending AS (
         SELECT * FROM json_to_recordset($4::json) AS p(${PENDING_STEP_COLUMNS})
       ), held AS (
         SELECT "id" FROM owned
         WHERE NOT EXISTS (SELECT 1 FROM "WorkflowStep" s JOIN pending p ON p."stepId" = s."stepId" WHERE s."runId" = $1)
       ), stored AS (
         INSERT INTO "WorkflowStep" ("runId", "stepId", "name", "data", "error")
         SELECT held."id", p."stepId", p."name", p."data", p."error" FROM held CROSS JOIN pending p
         ORDER BY p."ord"
         ON CONFLICT DO NOTHING
       ), spec AS (
         SELECT * FROM jsonb_to_recordset($3::jsonb) AS x(
           "stepId" text, "kind" text, "eventName" text, "condition" text, "delayMs" double precision,
           "until" text, "childId" text, "childFunctionId" text, "childEvent" jsonb, "childConcurrency" jsonb)
       ), waits AS (
         INSERT INTO "WorkflowWait" ("runId", "stepId", "kind", "eventName", "condition", "expiresAt")
         SELECT held."id", s."stepId", s."kind", s."eventName", s."condition",
                COALESCE(timezone('UTC', s."until"::timestamptz), ${afterMs('s."delayMs"')})
         FROM spec s CROSS JOIN held
         ON CONFLICT DO NOTHING
         RETURNING "stepId", "expiresAt"
       ), parked AS (
         UPDATE "WorkflowRun" r SET
           "runAfter" = CASE WHEN r."wakeRequested" THEN ${NOW}
                        ELSE LEAST((SELECT min(w."expiresAt") FROM "WorkflowWait" w WHERE w."runId" = $1),
                                   (SELECT min("expiresAt") FROM waits)) END,
           "wakeRequested" = false, "leaseOwner" = NULL, "leaseExpiresAt" = NULL, "attempt" = $6, "updatedAt" = ${NOW}
         FROM held WHERE r."id" = held."id" AND r."leaseOwner" = $2 AND r."status" = 'running' AND $5::boolean
         RETURNING (extract(epoch FROM (r."runAfter" - ${NOW})) * 1000)::float8 AS "wakeInMs"
       ), children AS (
         INSERT INTO "WorkflowRun" ("id", "functionId", "event", "concurrency", "status", "parentRunId", "parentStepId", "runAfter", "createdAt", "updatedAt")
         SELECT s."childId", s."childFunctionId", s."childEvent", s."childConcurrency", 'running', $1, s."stepId", ${NOW}, ${NOW}, ${NOW}
         FROM spec s JOIN waits w ON w."stepId" = s."stepId"
         WHERE s."kind" = 'invoke'
         ON CONFLICT DO NOTHING
         RETURNING "id"
       )
       SELECT (SELECT count(*) FROM owned)::int AS "owned", (SELECT count(*) FROM held)::int AS "held",
              (SELECT count(*) FROM children)::int AS "children",
              (SELECT count(*) FROM parked)::int AS "parked", (SELECT "wakeInMs" FROM parked) AS "wakeInMs"`,
      values: [runId, this.workerId, JSON.stringify(specs), pendingStepsJson([{ runId, steps }]), park !== undefined, park?.attempt ?? 0],
    });
    const row = rows[0];
    return {
      held: row?.owned === 1,
      conflict: row?.owned === 1 && row.held === 0,
      children: row?.children ?? 0,
      ...(row?.parked === 1 ? { parked: { wakeInMs: row.wakeInMs } } : {}),
    };
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

  /**
   * Extends the leases of runs in progress; returns the ids still held (the rest were lost). A
   * limited run whose lease already expired is not renewed: its slots counted as free, so
   * another run may have them; it must be claimed again.
   */
  async renewLeases(runIds: string[]): Promise<Set<string>> {
    if (runIds.length === 0) return new Set();
    // Rows another statement of ours is writing right now (a batch finishing several runs) are
    // skipped, never waited for — waiting on several rows at once could deadlock with it — and
    // still count as held if they are; the next renewal extends them.
    const { rows } = await this.pool.query<{ id: string }>({
      name: "chorus-executor-renew",
      text: `WITH renewed AS (
               UPDATE "WorkflowRun" r SET "leaseExpiresAt" = ${afterMs("$3")}, "runAfter" = ${afterMs("$3")}
               FROM (
                 SELECT "id" FROM "WorkflowRun"
                 WHERE "id" = ANY($1::text[]) AND "leaseOwner" = $2 AND "status" = 'running'
                   AND ("concurrency" IS NULL OR "leaseExpiresAt" > ${NOW})
                 ORDER BY "id"
                 FOR NO KEY UPDATE SKIP LOCKED
               ) l
               WHERE r."id" = l."id"
               RETURNING r."id"
             )
             SELECT "id" FROM renewed
             UNION
             SELECT "id" FROM "WorkflowRun"
             WHERE "id" = ANY($1::text[]) AND "leaseOwner" = $2 AND "status" = 'running'
               AND ("concurrency" IS NULL OR "leaseExpiresAt" > ${NOW})`,
      values: [runIds, this.workerId, this.leaseMs],
    });
    return new Set(rows.map((row) => row.id));
  }

  /**
   * Completes or fails a run, all in one statement: drops its leftover waits, hands its result
   * (or error) to the parent that invoked it and wakes that parent, and creates `spawn` runs
   * (its `onFailure` handler), and writes the run's pending `steps` (the last step's result
   * and the outcome share one commit). Returns whether it finished, whether we still held it
   * (`held` and not `finished`: one of `steps` was already stored; nothing was written), which
   * runs to wake, and the woken parents this worker took over (see `roomForAdoption`).
   */
  finish(runId: string, outcome: RunOutcome, spawn: NewRun[], steps: PendingStep[] = []): Promise<RunEnded> {
    return this.finisher.submit({ runId, outcome, spawn, steps });
  }

  private readonly finisher = new Batcher<RunEnd, RunEnded>((batch) => retryOnDeadlock(() => this.finishBatch(batch)));

  /**
   * How many more runs this worker can drive now: a parent woken by a finishing child is taken
   * over (leased to this worker in the finishing statement) if there is room, sparing a claim.
   */
  roomForAdoption: () => number = () => 0;

  /**
   * `finish` for every run of the batch in one statement. A parent finishing in the same batch
   * as the child it waits on just drops that wait (it is done); nothing hands it the result.
   * A woken parent is either adopted or woken, never neither: `woken` skips only the parents
   * `adopted` actually leased — a candidate another statement leased meanwhile (two children
   * finishing at once) gets its wake-up request instead.
   */
  private async finishBatch(batch: RunEnd[]): Promise<RunEnded[]> {
    const ends = batch.map(({ runId, outcome }) => ({
      runId,
      status: outcome.status,
      // JSON text, passed as a string so that a JSON null stays a JSON null.
      output: outcome.output,
      error: outcome.error,
      attempt: outcome.attempt,
    }));
    const spawn = batch.flatMap(({ runId, spawn: runs }) => runs.map((run) => ({ ...run, source: runId })));
    const { rows } = await this.pool.query<{ done: string[]; owned: string[]; woken: string[]; adopted: ClaimedRun[] }>({
      name: "chorus-executor-finish",
      text: `WITH x AS (
               SELECT * FROM json_to_recordset($1::json) AS x("runId" text, "status" text, "output" text, "error" text, "attempt" int)
             ), pending AS (
               SELECT * FROM json_to_recordset($2::json) AS p("runId" text, ${PENDING_STEP_COLUMNS})
             ), owned AS (
               SELECT r."id" FROM "WorkflowRun" r JOIN x ON x."runId" = r."id"
               WHERE r."leaseOwner" = $3 AND r."status" = 'running'
             ), done AS (
               UPDATE "WorkflowRun" r SET
                 "status" = x."status", "output" = x."output"::jsonb, "error" = x."error"::jsonb, "attempt" = x."attempt",
                 "completedAt" = ${NOW}, "updatedAt" = ${NOW}, "runAfter" = NULL, "wakeRequested" = false,
                 "leaseOwner" = NULL, "leaseExpiresAt" = NULL
               FROM x
               WHERE r."id" = x."runId" AND r."leaseOwner" = $3 AND r."status" = 'running'
                 AND NOT EXISTS (
                   SELECT 1 FROM "WorkflowStep" s JOIN pending p ON p."runId" = s."runId" AND p."stepId" = s."stepId"
                   WHERE s."runId" = r."id")
               RETURNING r."id", r."parentRunId", r."parentStepId", x."status", x."output", x."error"
             ), stored AS (
               INSERT INTO "WorkflowStep" ("runId", "stepId", "name", "data", "error")
               SELECT p."runId", p."stepId", p."name", p."data", p."error" FROM pending p JOIN done ON done."id" = p."runId"
               ORDER BY p."ord"
               ON CONFLICT DO NOTHING
             ), leftover AS (
               DELETE FROM "WorkflowWait" w USING done WHERE w."runId" = done."id"
             ), resolved AS (
               DELETE FROM "WorkflowWait" w USING done
               WHERE w."runId" = done."parentRunId" AND w."stepId" = done."parentStepId"
                 AND NOT EXISTS (SELECT 1 FROM x WHERE x."runId" = w."runId")
               RETURNING w."runId", w."stepId", done."status", done."output", done."error"
             ), handed AS (
               INSERT INTO "WorkflowStep" ("runId", "stepId", "data", "error")
               SELECT "runId", "stepId",
                      CASE WHEN "status" = 'completed' THEN "output"::json END,
                      CASE WHEN "status" = 'failed' THEN "error"::json END
               FROM resolved
               ON CONFLICT DO NOTHING
               RETURNING "runId"
             ), adopt AS (
               SELECT p."id" FROM "WorkflowRun" p JOIN (SELECT DISTINCT "runId" FROM handed) h ON h."runId" = p."id"
               WHERE p."status" = 'running' AND p."concurrency" IS NULL AND (p."leaseExpiresAt" IS NULL OR p."leaseExpiresAt" <= ${NOW})
               LIMIT $5
             ), adopted AS (
               UPDATE "WorkflowRun" p SET
                 "leaseOwner" = $3, "leaseExpiresAt" = ${afterMs("$6")}, "runAfter" = ${afterMs("$6")},
                 "wakeRequested" = false, "updatedAt" = ${NOW}
               FROM adopt a
               WHERE p."id" = a."id" AND p."status" = 'running' AND (p."leaseExpiresAt" IS NULL OR p."leaseExpiresAt" <= ${NOW})
               RETURNING p."id", p."functionId", p."event"::text AS "event", p."attempt", p."parentRunId",
                         NULL::text AS "previousOwner", false AS "limited"
             ), woken AS (
               UPDATE "WorkflowRun" p SET ${WAKE_RUN}
               FROM (SELECT DISTINCT "runId" FROM handed) h
               WHERE p."id" = h."runId" AND p."status" = 'running' AND NOT EXISTS (SELECT 1 FROM adopted a WHERE a."id" = p."id")
               RETURNING p."id"
             ), spawned AS (
               INSERT INTO "WorkflowRun" ("id", "functionId", "event", "concurrency", "status", "runAfter", "createdAt", "updatedAt")
               SELECT s."id", s."functionId", s."event", s."concurrency", 'running', ${NOW}, ${NOW}, ${NOW}
               FROM jsonb_to_recordset($4::jsonb) AS s(${NEW_RUN_COLUMNS}, "source" text) JOIN done ON done."id" = s."source"
               ON CONFLICT ("id") DO NOTHING
               RETURNING "id"
             )
             SELECT ARRAY(SELECT "id" FROM done) AS "done", ARRAY(SELECT "id" FROM owned) AS "owned",
                    ARRAY(SELECT "id" FROM woken UNION ALL SELECT "id" FROM spawned) AS "woken",
                    COALESCE((SELECT json_agg(adopted) FROM adopted), '[]'::json) AS "adopted"`,
      values: [
        JSON.stringify(ends),
        pendingStepsJson(batch),
        this.workerId,
        JSON.stringify(spawn),
        Math.max(0, this.roomForAdoption()),
        this.leaseMs,
      ],
    });
    const done = new Set(rows[0]?.done ?? []);
    const owned = new Set(rows[0]?.owned ?? []);
    const woken = rows[0]?.woken ?? [];
    // Every parent taken over goes to the first request's driver, which hands them to its executor.
    return batch.map(({ runId }, index) => ({
      finished: done.has(runId),
      held: owned.has(runId),
      woken,
      adopted: index === 0 ? (rows[0]?.adopted ?? []) : [],
    }));
  }

  /** Workers holding unexpired leases whose ids start with `prefix` (this machine's hostname). */
  async leaseOwnersStartingWith(prefix: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ owner: string }>({
      name: "chorus-executor-lease-owners",
      text: `SELECT DISTINCT "leaseOwner" AS "owner" FROM "WorkflowRun"
             WHERE "leaseExpiresAt" > ${NOW} AND "status" = 'running' AND left("leaseOwner", length($1)) = $1`,
      values: [prefix],
    });
    return rows.map((row) => row.owner);
  }

  /**
   * Ends the leases of workers found dead, unless one still holds its presence lock: their runs
   * become claimable now and their concurrency slots free. Returns how many runs that freed.
   *
   * A freed run keeps its place in the queue: claims take the smallest `runAfter` first, so it
   * gets the run's creation time, not now — else a half-done step would wait behind every run of
   * its group queued while it ran (seconds to tens of seconds with the team's slots full).
   */
  async expireLeasesOf(owners: string[]): Promise<number> {
    if (owners.length === 0) return 0;
    const { rowCount } = await this.pool.query(
      `UPDATE "WorkflowRun" r SET "leaseExpiresAt" = ${NOW}, "runAfter" = LEAST(r."createdAt", ${NOW}), "updatedAt" = ${NOW}
       WHERE r."leaseOwner" = ANY($1::text[]) AND r."status" = 'running' AND r."leaseExpiresAt" > ${NOW}
         AND NOT ${PRESENCE_HELD('r."leaseOwner"')}`,
      [owners],
    );
    return rowCount ?? 0;
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
          .map(
            (r) =>
              `{"runId":${JSON.stringify(r.runId)},"stepId":${JSON.stringify(r.stepId)},"data":${r.data ?? "null"},"error":${r.error ?? "null"}}`,
          )
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
