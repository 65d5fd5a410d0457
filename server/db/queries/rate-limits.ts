import { query } from "@/server/db/client";

/**
 * The rate limiter's SQL (server/rate-limit): the Postgres backend's sliding-window counters and
 * the teams' stored overrides. Each counter check is one statement and one round trip; see
 * TAKE_TOKENS for why it cannot lose an update when many processes check one identity at once.
 */

export interface CounterState {
  /** Tokens this statement granted (0 when refused). */
  granted: number;
  /** Start (ms epoch) of the fixed window the counts below belong to. */
  windowStart: number;
  /** Tokens granted in that window, this statement's included. */
  current: number;
  /** Tokens granted in the window before it. */
  previous: number;
}

/**
 * Grants up to $5 tokens of key $1 under limit $4 over a sliding window of $3 ms at time $6
 * (ms epoch; $2 is the start of the fixed window holding it), counted as @upstash/ratelimit's
 * slidingWindow counts: the current fixed window's count plus the previous window's count
 * weighted by the share of it still inside the sliding window. What would go over the limit is
 * not granted, and not counted (as Upstash does not count a refusal).
 *
 * One row per key holds both windows' counts. `INSERT … ON CONFLICT DO UPDATE` takes the row's
 * lock and always works on its newest version, so concurrent checks of one key from any number
 * of processes queue on that lock and none is lost. The update always happens, a refusal
 * included (granting 0), because RETURNING shows only the row as written: `granted` records
 * what this statement granted, so the caller learns both the verdict and the counts it needs for
 * the headers from the one round trip. A row whose window is ahead of the caller's (another
 * process's clock runs ahead) is counted in its own window, never reset.
 */
const TAKE_TOKENS = `
INSERT INTO "RateLimitCounter" AS c ("key", "windowStart", "current", "previous", "granted", "expiresAt")
VALUES ($1, $2::bigint, least($5::int, $4::int), 0, least($5::int, $4::int), $2::bigint + 2 * $3::bigint)
ON CONFLICT ("key") DO UPDATE SET ("windowStart", "current", "previous", "granted", "expiresAt") = (
  SELECT w.start, w.current + g.granted, w.previous, g.granted, w.start + 2 * $3::bigint
  FROM (SELECT greatest(c."windowStart", $2::bigint) AS start,
               CASE WHEN c."windowStart" >= $2::bigint THEN c."current" ELSE 0 END AS current,
               CASE WHEN c."windowStart" >= $2::bigint THEN c."previous"
                    WHEN c."windowStart" = $2::bigint - $3::bigint THEN c."current"
                    ELSE 0 END AS previous) w,
       LATERAL (SELECT least($5::int, greatest(0, $4::int - w.current - floor(
                  w.previous * least(1, greatest(0, 1 - ($6::bigint - w.start)::float8 / $3::bigint))
                )::int)) AS granted) g
)
RETURNING "granted", "windowStart"::float8 AS "windowStart", "current", "previous"`;

export async function takeRateLimitTokens(input: {
  key: string;
  windowStart: number;
  windowMs: number;
  limit: number;
  tokens: number;
  now: number;
}): Promise<CounterState> {
  const { rows } = await query<CounterState>(TAKE_TOKENS, [
    input.key,
    input.windowStart,
    input.windowMs,
    input.limit,
    input.tokens,
    input.now,
  ]);
  return rows[0]!;
}

/**
 * Hands back tokens granted in the window starting at $2 that were never spent (a lease a
 * process no longer needs): taken off that window's count, whether the row is still in it or has
 * moved on by one window (then it is the previous count). Never below zero.
 */
const GIVE_BACK_TOKENS = `
UPDATE "RateLimitCounter" SET
  "current" = CASE WHEN "windowStart" = $2::bigint THEN greatest(0, "current" - $4::int) ELSE "current" END,
  "previous" = CASE WHEN "windowStart" = $2::bigint + $3::bigint THEN greatest(0, "previous" - $4::int) ELSE "previous" END
WHERE "key" = $1 AND "windowStart" IN ($2::bigint, $2::bigint + $3::bigint)`;

export async function giveBackRateLimitTokens(input: { key: string; windowStart: number; windowMs: number; tokens: number }) {
  await query(GIVE_BACK_TOKENS, [input.key, input.windowStart, input.windowMs, input.tokens]);
}

/** Deletes counters idle for two windows or more (their counts no longer weigh on anything). */
export async function pruneRateLimitCounters(now: number): Promise<number> {
  const { rowCount } = await query(`DELETE FROM "RateLimitCounter" WHERE "expiresAt" < $1::bigint`, [now]);
  return rowCount ?? 0;
}

/** A team's stored overrides (the `rateLimits` JSON), or null when it has none. */
export async function readTeamRateLimits(teamId: string): Promise<unknown> {
  const { rows } = await query<{ rateLimits: unknown }>(`SELECT "rateLimits" FROM "Team" WHERE id = $1`, [teamId]);
  return rows[0]?.rateLimits ?? null;
}

/**
 * Merges overrides into a team's stored ones (after clearing them all when `reset`), in one
 * statement so that two changes at once both land; no overrides left is stored as null.
 * Returns the stored value, or undefined when there is no such team.
 */
export async function mergeTeamRateLimits(teamId: string, overrides: Record<string, string>, reset: boolean): Promise<unknown> {
  const { rows } = await query<{ rateLimits: unknown }>(
    `UPDATE "Team" SET "rateLimits" = nullif(
       CASE WHEN $3::boolean OR jsonb_typeof("rateLimits") IS DISTINCT FROM 'object' THEN '{}'::jsonb ELSE "rateLimits" END || $2::jsonb,
       '{}'::jsonb)
     WHERE id = $1 RETURNING "rateLimits"`,
    [teamId, JSON.stringify(overrides), reset],
  );
  return rows.length === 0 ? undefined : (rows[0]!.rateLimits ?? null);
}
