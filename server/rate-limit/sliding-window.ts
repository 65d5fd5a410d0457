import type { RateLimitRule } from "@/server/domain/rate-limit-rules";

/**
 * The sliding-window arithmetic @upstash/ratelimit's `slidingWindow` uses, for the Postgres
 * backend (whose SQL computes the same thing, in the same floating point): requests are counted
 * per fixed window, and a request at time t sees
 *
 *     used(t) = current + floor(previous × (1 − (t − windowStart) / window))
 *
 * — the current window's count plus the previous window's, weighted by how much of the
 * previous window the sliding window ending at t still covers. Kept pure so it is tested alone.
 */
export interface WindowCounts {
  /** Start (ms epoch) of the fixed window `current` counts. */
  windowStart: number;
  current: number;
  previous: number;
}

export function windowStartOf(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}

/** How much the previous window still weighs at `now` (1 at the window's start, 0 at its end). */
export function previousWeight(now: number, windowStart: number, windowMs: number): number {
  return Math.min(1, Math.max(0, 1 - (now - windowStart) / windowMs));
}

export function usedAt(counts: WindowCounts, now: number, windowMs: number): number {
  return counts.current + Math.floor(counts.previous * previousWeight(now, counts.windowStart, windowMs));
}

export function remainingAt(counts: WindowCounts, now: number, rule: RateLimitRule): number {
  return Math.max(0, rule.limit - usedAt(counts, now, rule.windowMs));
}

/**
 * The earliest moment from `now` on at which one more request fits, if nothing else is
 * counted meanwhile: later in this window as the previous one's weight fades, or — when this
 * window alone is full — in the next one, once this window's count (then the previous) has
 * faded enough.
 */
export function earliestAllowedAt(counts: WindowCounts, now: number, rule: RateLimitRule): number {
  const { limit, windowMs } = rule;
  const fits = (t: number, c: WindowCounts) => usedAt(c, t, windowMs) + 1 <= limit;
  let window = counts;
  if (counts.current + 1 > limit) {
    window = { windowStart: counts.windowStart + windowMs, current: 0, previous: counts.current };
  }
  const { windowStart, current, previous } = window;
  if (fits(Math.max(now, windowStart), window)) return Math.max(now, windowStart);
  // floor(previous × weight) ≤ limit − current − 1 =: k  ⇔  weight < (k + 1) / previous.
  const k = limit - current - 1;
  let t = windowStart + Math.floor(windowMs * (1 - (k + 1) / previous));
  // The closed form lands within a millisecond or two of the answer; floating point decides.
  while (t > windowStart && fits(t - 1, window)) t--;
  while (!fits(t, window)) t++;
  return Math.max(now, t);
}
