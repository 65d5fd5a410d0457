import type { RateLimitResult } from "./result";
import type { RateLimitRule, RateLimitTier } from "@/server/domain/rate-limit-rules";

/**
 * What counts requests: Postgres (postgres-backend.ts, the default) or Upstash/Redis
 * (upstash-backend.ts). `key` names the identity within its team (`<teamId>:key:<id>`); the
 * backend keeps each tier and window length apart, so a team's override of the window starts a
 * fresh count while one of the limit keeps the count.
 */
export interface RateLimitBackend {
  check(request: { key: string; tier: RateLimitTier; rule: RateLimitRule }): Promise<RateLimitResult>;
}
