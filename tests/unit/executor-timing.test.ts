import { describe, expect, it } from "vitest";
import { MAX_RETRY_DELAY_MS, parseDuration, retryAfterDelayMs, retryDelayMs, sleepTarget } from "@/inngest/executor/timing";

describe("executor timing", () => {
  it("reads the SDK's duration strings", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("1h30m15s")).toBe(5_415_000);
    expect(parseDuration("1w2d")).toBe(9 * 86_400_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("")).toBe(0);
    expect(() => parseDuration("soon")).toThrow(/Unsupported duration/);
  });

  it("tells a sleep's duration from a sleepUntil date", () => {
    expect(sleepTarget("2m")).toEqual({ delayMs: 120_000 });
    expect(sleepTarget("2030-01-02T03:04:05.000Z")).toEqual({ until: "2030-01-02T03:04:05.000Z" });
  });

  it("backs off exponentially with jitter between half and all of the step, up to a cap", () => {
    expect(retryDelayMs(0, 1000, () => 0)).toBe(500);
    expect(retryDelayMs(0, 1000, () => 1)).toBe(1000);
    expect(retryDelayMs(3, 1000, () => 1)).toBe(8000);
    expect(retryDelayMs(3, 1000, () => 0)).toBe(4000);
    expect(retryDelayMs(40, 1000, () => 1)).toBe(MAX_RETRY_DELAY_MS);
  });

  it("honours a RetryAfterError's seconds or date", () => {
    expect(retryAfterDelayMs("30")).toBe(30_000);
    expect(retryAfterDelayMs(new Date(10_000).toISOString(), 4_000)).toBe(6_000);
    expect(retryAfterDelayMs("whenever")).toBeUndefined();
  });
});
