import { query } from "@/server/db/client";

/**
 * The model circuit breakers' shared state (server/llm/breaker.ts), one row per model link key.
 * Keyed by the link, not by team: a link key names a provider configuration, which already
 * belongs to one team (or to the instance, for "env:" keys); the row holds no team data.
 * One statement, one round trip each.
 */
export interface SharedBreakerState {
  state: "open" | "closed";
  consecutiveFailures: number;
  /** When it opened, ms since the epoch (a TIMESTAMP(3) in UTC in the table). */
  openedAt: number | null;
}

export async function readModelBreaker(key: string): Promise<SharedBreakerState | undefined> {
  const result = await query<{ state: string; consecutiveFailures: number; openedAt: number | null }>(
    `SELECT state, "consecutiveFailures", (extract(epoch FROM "openedAt") * 1000)::float8 AS "openedAt" FROM "ModelBreaker" WHERE key = $1`,
    [key],
  );
  const row = result.rows[0];
  if (!row) return undefined;
  return { state: row.state === "open" ? "open" : "closed", consecutiveFailures: row.consecutiveFailures, openedAt: row.openedAt };
}

export async function writeModelBreaker(key: string, state: SharedBreakerState): Promise<void> {
  await query(
    `INSERT INTO "ModelBreaker" (key, state, "consecutiveFailures", "openedAt", "updatedAt") VALUES ($1, $2, $3, to_timestamp($4::float8 / 1000) AT TIME ZONE 'UTC', now())
     ON CONFLICT (key) DO UPDATE SET state = $2, "consecutiveFailures" = $3, "openedAt" = to_timestamp($4::float8 / 1000) AT TIME ZONE 'UTC', "updatedAt" = now()`,
    [key, state.state, state.consecutiveFailures, state.openedAt],
  );
}
