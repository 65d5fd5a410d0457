import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { logger } from "@/server/observability/logger";
import type { RateLimitBackend } from "./backend";
import type { RateLimitResult } from "./result";
import type { RateLimitRule, RateLimitTier } from "@/server/domain/rate-limit-rules";

/**
 * The scale-out backend: @upstash/ratelimit's sliding window on Upstash (or any server speaking
 * its REST API), chosen when UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are set. One
 * `Ratelimit` per (tier, limit, window), made on first use and kept; all of a tier's instances
 * share one key prefix per window length, so a team whose limit changes keeps its count.
 *
 * Every check is one REST call running the library's Lua script (atomic in Redis, so any number
 * of processes share the count exactly). A refusal is remembered by the library's ephemeral
 * cache until the end of the fixed window — Retry-After says so — which keeps a client hammering
 * past its limit from costing a call per request; the cache is bounded here (the library's
 * default Map never forgets an identity).
 *
 * If the store does not answer within STORE_TIMEOUT_MS or fails, requests are let through
 * (fail open): a counter store's outage then costs the protection the limits give, for as long
 * as it lasts, instead of turning into a 429 for every request of every client. Agent work stays
 * capped by CHORUS_TEAM_MAX_PARALLEL meanwhile. It is logged once when it starts and once when
 * the store answers again, and the store is not asked again for OUTAGE_BACKOFF_MS after a
 * failure, so requests don't each wait for the timeout while it is down.
 */
const STORE_TIMEOUT_MS = 1_000;
const OUTAGE_BACKOFF_MS = 5_000;
const MAX_REMEMBERED_REFUSALS = 10_000;

/** The library takes its ephemeral cache as a Map; this one forgets its oldest entries past `max`. */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }
  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.max) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}

export function createUpstashBackend(config: { url: string; token: string }, clock: () => number = Date.now): RateLimitBackend {
  // One retry for a connection that failed outright; the library's timeout bounds the rest.
  const redis = new Redis({ url: config.url, token: config.token, retry: { retries: 1, backoff: () => 50 }, enableTelemetry: false });
  const limiters = new Map<string, Ratelimit>();
  let failingSince: number | undefined;
  let retryStoreAt = 0;

  function limiterFor(tier: RateLimitTier, rule: RateLimitRule): Ratelimit {
    const name = `${tier}:${rule.limit}:${rule.windowMs}`;
    let limiter = limiters.get(name);
    if (!limiter) {
      limiter = new Ratelimit({
        redis,
        limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowMs} ms`),
        prefix: `chorus:rate-limit:${tier}:${rule.windowMs}`,
        ephemeralCache: new BoundedMap<string, number>(MAX_REMEMBERED_REFUSALS),
        timeout: STORE_TIMEOUT_MS,
        analytics: false,
        enableProtection: false,
      });
      limiters.set(name, limiter);
    }
    return limiter;
  }

  function unchecked(rule: RateLimitRule, now: number, error?: unknown): RateLimitResult {
    if (error !== undefined) {
      retryStoreAt = now + OUTAGE_BACKOFF_MS;
      if (failingSince === undefined) {
        failingSince = now;
        logger.warn("rate limits are not enforced: the Upstash/Redis store does not answer; requests pass until it does", { error });
      }
    }
    return {
      allowed: true,
      limit: rule.limit,
      remaining: rule.limit,
      resetAt: now + rule.windowMs,
      retryAfterSeconds: 0,
      windowMs: rule.windowMs,
    };
  }

  return {
    async check({ key, tier, rule }) {
      const now = clock();
      if (now < retryStoreAt) return unchecked(rule, now);
      let response: Awaited<ReturnType<Ratelimit["limit"]>>;
      try {
        response = await limiterFor(tier, rule).limit(key);
      } catch (error) {
        return unchecked(rule, clock(), error);
      }
      if (response.reason === "timeout") return unchecked(rule, clock(), new Error(`no answer within ${STORE_TIMEOUT_MS} ms`));
      if (failingSince !== undefined) {
        logger.info("the rate-limit store answers again; rate limits are enforced", { downForMs: clock() - failingSince });
        failingSince = undefined;
      }
      if (response.success) {
        return {
          allowed: true,
          limit: response.limit,
          remaining: response.remaining,
          resetAt: response.reset,
          retryAfterSeconds: 0,
          windowMs: rule.windowMs,
        };
      }
      return {
        allowed: false,
        limit: response.limit,
        remaining: 0,
        resetAt: response.reset,
        retryAfterSeconds: Math.max(1, Math.ceil((response.reset - clock()) / 1000)),
        windowMs: rule.windowMs,
      };
    },
  };
}
