-- The embedded executor's claim of runs under concurrency limits (inngest/executor/store.ts,
-- `claimWithinLimits`), as a function so that Postgres plans it once per connection instead of
-- on every call, and the advisory lock that serialises taking slots is held for the claim only.
-- The lock is taken first; the claim, a statement of its own in a VOLATILE function, runs with a
-- snapshot taken after the lock was granted, so it sees the slots the previous holder took.

-- Slots in use per concurrency group: the "slots" of every run whose lease has not expired (found
-- through the "leaseExpiresAt" index: only runs being driven right now), so a crashed worker's
-- slots free up with its leases. A plain SQL function, so Postgres inlines it into the statements
-- below (it reads their snapshot, taken after the lock).
CREATE FUNCTION "chorus_held_slots"()
RETURNS TABLE ("key" text, "used" integer)
LANGUAGE sql STABLE AS $fn$
  SELECT g."key", sum(r."slots")::int
  FROM "WorkflowRun" r, jsonb_to_recordset(r."concurrency") AS g("key" text, "limit" int)
  WHERE r."leaseExpiresAt" > timezone('UTC', now()) AND r."status" = 'running'
  GROUP BY g."key"
$fn$;

CREATE FUNCTION "chorus_claim_within_limits"("worker" text, "batch" integer, "lease_ms" integer)
RETURNS TABLE ("runs" json, "deferred" integer)
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('chorus.executor.concurrency-slots'));
  RETURN QUERY
  WITH held AS (SELECT * FROM "chorus_held_slots"()), picked AS (
    SELECT r."id", r."leaseOwner", r."concurrency", r."runAfter" FROM "WorkflowRun" r
    WHERE r."status" = 'running' AND r."runAfter" <= timezone('UTC', now())
      AND NOT EXISTS (
        SELECT 1 FROM jsonb_to_recordset(r."concurrency") AS g("key" text, "limit" int)
        JOIN held h ON h."key" = g."key" WHERE h."used" >= g."limit")
    ORDER BY r."runAfter"
    LIMIT "batch"
    FOR UPDATE SKIP LOCKED
  ), ranked AS (
    SELECT p."id", g."key", g."limit",
           row_number() OVER (PARTITION BY g."key" ORDER BY p."runAfter", p."id") AS "rank"
    FROM picked p, jsonb_to_recordset(p."concurrency") AS g("key" text, "limit" int)
  ), deferred_runs AS (
    SELECT DISTINCT x."id" FROM ranked x LEFT JOIN held h ON h."key" = x."key"
    WHERE COALESCE(h."used", 0) + x."rank" > x."limit"
  ), claimed AS (
    UPDATE "WorkflowRun" r SET
      "leaseOwner" = "worker",
      "leaseExpiresAt" = timezone('UTC', now()) + "lease_ms"::double precision * interval '1 millisecond',
      "runAfter" = timezone('UTC', now()) + "lease_ms"::double precision * interval '1 millisecond',
      "wakeRequested" = false, "slots" = 1, "updatedAt" = timezone('UTC', now())
    FROM picked p
    WHERE r."id" = p."id" AND NOT EXISTS (SELECT 1 FROM deferred_runs d WHERE d."id" = p."id")
    RETURNING r."id", r."functionId", r."event"::text AS "event", r."attempt", r."parentRunId",
              p."leaseOwner" AS "previousOwner", r."concurrency" IS NOT NULL AS "limited",
              NOT EXISTS (SELECT 1 FROM "WorkflowStep" s WHERE s."runId" = r."id")
              AND NOT EXISTS (SELECT 1 FROM "WorkflowWait" w WHERE w."runId" = r."id") AS "fresh"
  )
  SELECT COALESCE((SELECT json_agg(claimed) FROM claimed), '[]'::json),
         (SELECT count(*) FROM deferred_runs)::int;
END
$fn$;

-- `takeSlots`: more slots for a limited run that found parallel steps, up to "wanted" in all, as
-- many as every one of its groups has free; under the same lock. Returns the slots it now holds,
-- or no row when it already held "wanted" or lost its lease.
CREATE FUNCTION "chorus_take_slots"("run_id" text, "worker" text, "wanted" integer)
RETURNS TABLE ("slots" integer)
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('chorus.executor.concurrency-slots'));
  RETURN QUERY
  WITH held AS (SELECT * FROM "chorus_held_slots"()), free AS (
    SELECT min(g."limit" - COALESCE(h."used", 0)) AS "count"
    FROM "WorkflowRun" r
    CROSS JOIN LATERAL jsonb_to_recordset(r."concurrency") AS g("key" text, "limit" int)
    LEFT JOIN held h ON h."key" = g."key"
    WHERE r."id" = "run_id"
  )
  UPDATE "WorkflowRun" r SET "slots" = r."slots" + LEAST("wanted" - r."slots", GREATEST(0, free."count"))
  FROM free
  WHERE r."id" = "run_id" AND r."leaseOwner" = "worker" AND r."status" = 'running' AND r."slots" < "wanted"
  RETURNING r."slots";
END
$fn$;
