import { describe, expect, it } from "vitest";
import { earliestAllowedAt, previousWeight, usedAt, type WindowCounts } from "@/server/rate-limit/sliding-window";

/** The counts as they stand at time t if nothing more is counted: the window rolls over, the current count becomes the previous one. */
function countsAt(counts: WindowCounts, t: number, windowMs: number): WindowCounts {
  if (t < counts.windowStart + windowMs) return counts;
  if (t < counts.windowStart + 2 * windowMs) return { windowStart: counts.windowStart + windowMs, current: 0, previous: counts.current };
  return { windowStart: Math.floor(t / windowMs) * windowMs, current: 0, previous: 0 };
}

describe("the sliding window", () => {
  it("weighs the previous window by how much of it the window still covers", () => {
    expect(previousWeight(1000, 1000, 1000)).toBe(1);
    expect(previousWeight(1250, 1000, 1000)).toBe(0.75);
    expect(previousWeight(2000, 1000, 1000)).toBe(0);
    expect(previousWeight(900, 1000, 1000)).toBe(1); // a caller whose clock is behind the row's window
    expect(usedAt({ windowStart: 1000, current: 3, previous: 10 }, 1250, 1000)).toBe(3 + 7);
  });

  it("finds the first moment another request fits, within this window or the next", () => {
    const windowMs = 1000;
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let run = 0; run < 400; run++) {
      const limit = 1 + random(20);
      const counts = { windowStart: 10_000, current: random(limit + 1), previous: random(2 * limit + 1) };
      const now = counts.windowStart + random(windowMs);
      if (usedAt(counts, now, windowMs) + 1 <= limit) {
        expect(earliestAllowedAt(counts, now, { limit, windowMs })).toBe(now);
        continue;
      }
      let expected = now;
      while (usedAt(countsAt(counts, expected, windowMs), expected, windowMs) + 1 > limit) expected++;
      expect(earliestAllowedAt(counts, now, { limit, windowMs }), JSON.stringify({ counts, now, limit })).toBe(expected);
    }
  });
});
