import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "@/server/env";
import { rateLimitedError, rateLimitHeaders } from "@/server/rate-limit/result";
import { formatRateLimitRule, parseRateLimitRule } from "@/server/domain/rate-limit-rules";
import { parseStoredOverrides } from "@/server/rate-limit/team-limits";

describe("rate-limit rules", () => {
  it("reads <requests>/<window> strictly", () => {
    expect(parseRateLimitRule("100/1h")).toEqual({ limit: 100, windowMs: 3_600_000 });
    expect(parseRateLimitRule("1200/1m")).toEqual({ limit: 1200, windowMs: 60_000 });
    expect(parseRateLimitRule(" 5/2s ")).toEqual({ limit: 5, windowMs: 2_000 });
    expect(parseRateLimitRule("10/h")).toEqual({ limit: 10, windowMs: 3_600_000 });
    expect(parseRateLimitRule("1000/1d")).toEqual({ limit: 1000, windowMs: 86_400_000 });
    for (const bad of [
      "",
      "100",
      "100/",
      "/1h",
      "0/1h",
      "-1/1h",
      "1.5/1h",
      "100/1.5h",
      "100/0s",
      "100/1w",
      "100/1ms",
      "100 / 1h",
      "01/1h",
      "100/32d",
      "1000000001/1h",
      "1e3/1h",
    ]) {
      expect(parseRateLimitRule(bad), bad).toBeUndefined();
    }
  });

  it("writes a rule in the largest unit that divides its window", () => {
    expect(formatRateLimitRule({ limit: 100, windowMs: 3_600_000 })).toBe("100/1h");
    expect(formatRateLimitRule({ limit: 7, windowMs: 90_000 })).toBe("7/90s");
    expect(formatRateLimitRule({ limit: 7, windowMs: 120_000 })).toBe("7/2m");
  });

  it("takes the server's defaults from the environment, naming a malformed variable", () => {
    expect(parseEnv({})).toMatchObject({
      CHORUS_RATE_LIMIT_SPEND: { limit: 100, windowMs: 3_600_000 },
      CHORUS_RATE_LIMIT_WRITE: { limit: 300, windowMs: 60_000 },
      CHORUS_RATE_LIMIT_READ: { limit: 1200, windowMs: 60_000 },
    });
    expect(parseEnv({ CHORUS_RATE_LIMIT_SPEND: "20/1d" }).CHORUS_RATE_LIMIT_SPEND).toEqual({ limit: 20, windowMs: 86_400_000 });
    expect(() => parseEnv({ CHORUS_RATE_LIMIT_READ: "lots" })).toThrow(
      /CHORUS_RATE_LIMIT_READ: must be <requests>\/<window>, e\.g\. 100\/1h/,
    );
    expect(() => parseEnv({ CHORUS_RATE_LIMIT_WRITE: "100/1w" })).toThrow(ConfigError);
  });

  it("wants both Upstash variables or neither", () => {
    expect(() => parseEnv({ UPSTASH_REDIS_REST_URL: "https://x.upstash.io" })).toThrow(/UPSTASH_REDIS_REST_TOKEN: required/);
    expect(() => parseEnv({ UPSTASH_REDIS_REST_TOKEN: "t" })).toThrow(/UPSTASH_REDIS_REST_URL: required/);
    expect(() => parseEnv({ UPSTASH_REDIS_REST_URL: "redis://x", UPSTASH_REDIS_REST_TOKEN: "t" })).toThrow(
      /UPSTASH_REDIS_REST_URL: must be an http/,
    );
    expect(parseEnv({ UPSTASH_REDIS_REST_URL: "https://x.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" }).UPSTASH_REDIS_REST_TOKEN).toBe("t");
  });

  it("skips and names malformed stored overrides, keeping the good ones", () => {
    expect(parseStoredOverrides(null)).toEqual({ overrides: {}, problems: [] });
    expect(parseStoredOverrides({ spend: "200/1h", read: "fast", burst: "1/1s" })).toEqual({
      overrides: { spend: { limit: 200, windowMs: 3_600_000 } },
      problems: ['rateLimits.read: "fast"', 'rateLimits.burst: "1/1s"'],
    });
    expect(parseStoredOverrides("100/1h").problems).toEqual(["rateLimits is not an object"]);
  });
});

describe("rate-limit answers", () => {
  const now = 1_000_000;
  it("carry RateLimit-* headers, and Retry-After when refused", () => {
    expect(
      rateLimitHeaders({ allowed: true, limit: 100, remaining: 99, resetAt: now + 1500, retryAfterSeconds: 0, windowMs: 3_600_000 }, now),
    ).toEqual({
      "RateLimit-Limit": "100",
      "RateLimit-Remaining": "99",
      "RateLimit-Reset": "2",
    });
    const refused = { allowed: false, limit: 100, remaining: 0, resetAt: now + 30_000, retryAfterSeconds: 30, windowMs: 3_600_000 };
    expect(rateLimitHeaders(refused, now)).toEqual({
      "RateLimit-Limit": "100",
      "RateLimit-Remaining": "0",
      "RateLimit-Reset": "30",
      "Retry-After": "30",
    });
    const error = rateLimitedError(refused, now);
    expect(error).toMatchObject({ code: "rate_limited", headers: { "Retry-After": "30", "RateLimit-Remaining": "0" } });
    expect(error.message).toBe("Rate limit exceeded (100/1h); try again in 30 seconds");
    expect(rateLimitedError({ ...refused, retryAfterSeconds: 1000 }, now).message).toContain("try again in 17 minutes");
  });
});
