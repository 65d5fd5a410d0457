import { LRUCache } from "lru-cache";
import { giveBackRateLimitTokens, pruneRateLimitCounters, takeRateLimitTokens, type CounterState } from "@/server/db/queries/rate-limits";
import { logger } from "@/server/observability/logger";
import type { RateLimitBackend } from "./backend";
import type { RateLimitResult } from "./result";
import type { RateLimitRule, RateLimitTier } from "@/server/domain/rate-limit-rules";
import { earliestAllowedAt, remainingAt, windowStartOf } from "./sliding-window";

/**
 * The default backend: counters in Postgres (`RateLimitCounter`, one statement per round trip,
 * see server/db/queries/rate-limits.ts), so every process and replica on the database shares
 * them and CHORUS_WORKERS does not multiply a limit.
 *
 * A check's round trip costs ≈ 50–70 µs of this process's CPU and ≈ 75–100 µs of Postgres's
 * (bench/rate-limit.ts, docs/rate-limits.md): 12–17% of a direct task read (≈ 420 µs), too much
 * for the read tier on a 2-core machine serving a few thousand reads a second. So:
 *
 * - `spend` and `write` count each request in Postgres: exact, and rare enough not to matter.
 * - `read` takes **leases**: a process asks Postgres for several tokens of an identity at once
 *   (as one check counting that many) and spends them locally, so most reads touch no database.
 *   A lease starts at 1 token and doubles each time one is used up, to at most 1% of the limit;
 *   one that ends with tokens unspent (its window ended) is followed by one of the size that was
 *   used. So an identity using u requests a window costs about u / (1% of the limit) round trips
 *   a window, plus one to hand back what is left, and one seen once a window costs one.
 *   Tokens are granted only within the limit, so the leased path never lets more through than
 *   the exact one would. Leased tokens count as used when granted: with one process serving an
 *   identity the answers are exactly the exact path's; with P processes serving it at once, a
 *   request can be refused while up to (P − 1) × (1% of the limit) tokens sit unspent in other
 *   processes' leases. Unspent tokens go back to Postgres when their window ends (at this
 *   process's next check after it) or when the lease is evicted; a process that dies keeps its
 *   lease's tokens counted until the window ages out. RateLimit-Remaining on a leased answer is
 *   as of the lease (other processes' use since then is not in it).
 *
 * A refusal is remembered in this process until the moment a request could pass again, so a
 * client hammering past its limit costs no round trip per request.
 */
const LEASED_TIERS: ReadonlySet<RateLimitTier> = new Set(["read"]);
const LEASE_SHARE_OF_LIMIT = 0.01;
const MAX_TRACKED_KEYS = 10_000;
const SWEEP_EVERY_MS = 1_000;
const PRUNE_EVERY_MS = 60_000;

interface Lease {
  /** Tokens granted and not yet spent. */
  tokens: number;
  /** The fixed window they were granted in, and the limit they were granted under. */
  windowStart: number;
  windowMs: number;
  limit: number;
  /** What Postgres had left for the identity right after the grant, besides these tokens. */
  remainingBesides: number;
  /** Tokens the lease was granted (0: none held), and how many to ask for next time. */
  granted: number;
  size: number;
  refill?: Promise<void>;
}

interface Refusal {
  until: number;
  limit: number;
}

export function createPostgresBackend(clock: () => number = Date.now): RateLimitBackend {
  const refusals = new LRUCache<string, Refusal>({ max: MAX_TRACKED_KEYS });
  const leases = new LRUCache<string, Lease>({
    max: MAX_TRACKED_KEYS,
    dispose: (lease, key) => void endLease(key, lease),
  });
  let sweptAt = clock();
  let prunedAt = 0;

  /**
   * Ends a lease: what is unspent goes back to Postgres. The next lease is twice this one if it
   * was used up, else the size that was used.
   */
  async function endLease(key: string, lease: Lease) {
    if (lease.granted === 0) return;
    const unspent = lease.tokens;
    lease.size = unspent === 0 ? lease.granted * 2 : lease.granted - unspent;
    lease.granted = 0;
    lease.tokens = 0;
    if (unspent === 0) return;
    await giveBackRateLimitTokens({ key, windowStart: lease.windowStart, windowMs: lease.windowMs, tokens: unspent }).catch(
      (error: unknown) => logger.debug("could not hand back leased rate-limit tokens", { error }),
    );
  }

  /** Now and then, off the request's path: hand back leases whose window ended, and delete idle counters. */
  function housekeeping(now: number) {
    if (now - sweptAt >= SWEEP_EVERY_MS) {
      sweptAt = now;
      for (const [key, lease] of leases.entries()) {
        if (lease.tokens > 0 && !lease.refill && now >= lease.windowStart + lease.windowMs) void endLease(key, lease);
      }
    }
    if (now - prunedAt >= PRUNE_EVERY_MS) {
      prunedAt = now;
      pruneRateLimitCounters(now).catch((error: unknown) => logger.debug("could not prune rate-limit counters", { error }));
    }
  }

  function refused(key: string, rule: RateLimitRule, now: number): RateLimitResult | undefined {
    const refusal = refusals.get(key);
    if (!refusal || refusal.until <= now || refusal.limit !== rule.limit) return undefined;
    return {
      allowed: false,
      limit: rule.limit,
      remaining: 0,
      resetAt: refusal.until,
      retryAfterSeconds: Math.ceil((refusal.until - now) / 1000),
      windowMs: rule.windowMs,
    };
  }

  function refuse(key: string, rule: RateLimitRule, state: CounterState, now: number): RateLimitResult {
    refusals.set(key, { until: Math.max(now + 1, earliestAllowedAt(state, now, rule)), limit: rule.limit });
    return refused(key, rule, now)!;
  }

  function take(key: string, rule: RateLimitRule, tokens: number, now: number) {
    return takeRateLimitTokens({
      key,
      windowStart: windowStartOf(now, rule.windowMs),
      windowMs: rule.windowMs,
      limit: rule.limit,
      tokens,
      now,
    });
  }

  async function checkExactly(key: string, rule: RateLimitRule): Promise<RateLimitResult> {
    const now = clock();
    const state = await take(key, rule, 1, now);
    if (state.granted === 0) return refuse(key, rule, state, now);
    return {
      allowed: true,
      limit: rule.limit,
      remaining: remainingAt(state, now, rule),
      resetAt: state.windowStart + rule.windowMs,
      retryAfterSeconds: 0,
      windowMs: rule.windowMs,
    };
  }

  async function refill(key: string, lease: Lease, rule: RateLimitRule) {
    // Tokens of an ended window (or another limit) go back first, so they don't weigh on this one.
    await endLease(key, lease);
    const now = clock();
    lease.size = Math.min(Math.max(1, Math.floor(rule.limit * LEASE_SHARE_OF_LIMIT)), Math.max(1, lease.size));
    const state = await take(key, rule, lease.size, now);
    if (state.granted === 0) {
      refuse(key, rule, state, now);
      return;
    }
    Object.assign(lease, {
      tokens: state.granted,
      granted: state.granted,
      windowStart: state.windowStart,
      windowMs: rule.windowMs,
      limit: rule.limit,
      remainingBesides: remainingAt(state, now, rule),
    });
  }

  async function checkLeased(key: string, rule: RateLimitRule): Promise<RateLimitResult> {
    let lease = leases.get(key);
    if (!lease) {
      lease = { tokens: 0, granted: 0, windowStart: 0, windowMs: rule.windowMs, limit: rule.limit, remainingBesides: 0, size: 0 };
      leases.set(key, lease);
    }
    const held = lease;
    for (;;) {
      const now = clock();
      const refusal = refused(key, rule, now);
      if (refusal) return refusal;
      if (held.tokens > 0 && held.limit === rule.limit && now < held.windowStart + held.windowMs) {
        held.tokens--;
        return {
          allowed: true,
          limit: rule.limit,
          remaining: held.remainingBesides + held.tokens,
          resetAt: held.windowStart + held.windowMs,
          retryAfterSeconds: 0,
          windowMs: rule.windowMs,
        };
      }
      // One refill at a time per identity: concurrent requests wait for it, then share its tokens.
      held.refill ??= refill(key, held, rule).finally(() => (held.refill = undefined));
      await held.refill;
    }
  }

  return {
    async check({ key, tier, rule }) {
      const counterKey = `${tier}:${rule.windowMs}:${key}`;
      const now = clock();
      housekeeping(now);
      const refusal = refused(counterKey, rule, now);
      if (refusal) return refusal;
      return LEASED_TIERS.has(tier) ? checkLeased(counterKey, rule) : checkExactly(counterKey, rule);
    },
  };
}
