import type { JsonValue } from "@/server/db/types";
import { getRedis } from "@/server/db/redis";

/**
 * The response cache's shared store in Redis, used instead of `LlmCacheEntry` rows when
 * REDIS_URL is set (server/llm/response-cache.ts picks it): one key per team and request hash,
 * `chorus:llm-cache:<team>:<hash>`, holding the response and its expiry as JSON, with Redis's own
 * expiry set to the same instant so nothing needs sweeping. Lookups compare the expiry with the
 * caller's clock, as the Postgres store does, so the two layers agree on when an entry ends.
 */
const PREFIX = "chorus:llm-cache:";

export function redisCacheKey(teamId: string, requestHash: string): string {
  return `${PREFIX}${teamId}:${requestHash}`;
}

export async function findLiveRedisCacheEntry(teamId: string, requestHash: string, now: Date) {
  const redis = await getRedis();
  if (!redis) return undefined;
  const raw = await redis.get(redisCacheKey(teamId, requestHash));
  if (raw === null) return undefined;
  const entry = JSON.parse(raw) as { response: JsonValue; expiresAt: number };
  return entry.expiresAt > now.getTime() ? { response: entry.response, expiresAt: new Date(entry.expiresAt) } : undefined;
}

export async function putRedisCacheEntry(entry: { teamId: string; requestHash: string; response: unknown; expiresAt: Date }) {
  const redis = await getRedis();
  if (!redis) return;
  const expiresAt = entry.expiresAt.getTime();
  await redis.set(redisCacheKey(entry.teamId, entry.requestHash), JSON.stringify({ response: entry.response, expiresAt }), {
    expiration: { type: "PXAT", value: expiresAt },
  });
}
