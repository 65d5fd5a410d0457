import { query } from "@/server/db/client";
import type { JsonValue } from "@/server/db/types";

/**
 * The response cache's shared store, `LlmCacheEntry` rows (server/llm/response-cache.ts keeps
 * an in-memory LRU in front): one stored model response per team and request hash. Expiry is
 * compared with the caller's clock (`now`), not the database's, so the two layers agree on when
 * an entry ends. Plain SQL: a lookup is on every model call.
 */

export async function findLiveCacheEntry(teamId: string, requestHash: string, now: Date) {
  const { rows } = await query<{ response: JsonValue; expiresAt: Date }>(
    `SELECT response, "expiresAt" FROM "LlmCacheEntry" WHERE "teamId" = $1 AND "requestHash" = $2 AND "expiresAt" > $3::timestamp`,
    [teamId, requestHash, now.toISOString()],
  );
  return rows[0];
}

/** Stores (or replaces) an entry; a team deleted meanwhile stores nothing. */
export async function upsertCacheEntry(entry: {
  teamId: string;
  requestHash: string;
  modelKey: string;
  response: unknown;
  expiresAt: Date;
}) {
  await query(
    `INSERT INTO "LlmCacheEntry" ("teamId", "requestHash", "modelKey", response, "expiresAt")
     SELECT $1, $2, $3, $4::jsonb, $5::timestamp WHERE EXISTS (SELECT 1 FROM "Team" WHERE id = $1)
     ON CONFLICT ("teamId", "requestHash") DO UPDATE SET response = EXCLUDED.response, "modelKey" = EXCLUDED."modelKey",
       "createdAt" = now(), "expiresAt" = EXCLUDED."expiresAt"`,
    [entry.teamId, entry.requestHash, entry.modelKey, JSON.stringify(entry.response), entry.expiresAt.toISOString()],
  );
}

/** Deletes entries that expired before `now`, a bounded batch at a time (cleanup runs beside calls, never holding them up). */
export async function deleteExpiredCacheEntries(now: Date, limit = 500): Promise<number> {
  const { rowCount } = await query(
    `DELETE FROM "LlmCacheEntry" WHERE ctid IN (SELECT ctid FROM "LlmCacheEntry" WHERE "expiresAt" <= $1::timestamp LIMIT $2)`,
    [now.toISOString(), limit],
  );
  return rowCount ?? 0;
}
