import { AppError } from "@/server/errors";
import { formatRateLimitRule } from "@/server/domain/rate-limit-rules";

/**
 * What a rate-limit check answers, whichever backend counted, and how an HTTP answer shows it:
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds, as the IETF
 * draft-ietf-httpapi-ratelimit-headers has them) on every checked response, and `Retry-After`
 * on a refusal, which is a 429 (`rate_limited`) carrying the same headers.
 */
export interface RateLimitResult {
  allowed: boolean;
  /** Requests allowed per window. */
  limit: number;
  /** Requests left in the sliding window after this one (0 when refused). */
  remaining: number;
  /**
   * When the count next falls (ms epoch): the end of the current fixed window, where the
   * window's count starts to fade; for a refusal, when a request may pass again.
   */
  resetAt: number;
  /** Whole seconds to wait before retrying; 0 when allowed. */
  retryAfterSeconds: number;
  windowMs: number;
}

export function rateLimitHeaders(result: RateLimitResult, now = Date.now()): Record<string, string> {
  const headers: Record<string, string> = {
    "RateLimit-Limit": String(result.limit),
    "RateLimit-Remaining": String(result.remaining),
    "RateLimit-Reset": String(Math.max(0, Math.ceil((result.resetAt - now) / 1000))),
  };
  if (!result.allowed) headers["Retry-After"] = String(result.retryAfterSeconds);
  return headers;
}

/** The 429 for a refused check: nothing was done, and the headers say when to come back. */
export function rateLimitedError(result: RateLimitResult, now = Date.now()): AppError {
  const wait = result.retryAfterSeconds;
  const after = wait < 120 ? `${wait} second${wait === 1 ? "" : "s"}` : `${Math.ceil(wait / 60)} minutes`;
  return new AppError(
    "rate_limited",
    `Rate limit exceeded (${formatRateLimitRule({ limit: result.limit, windowMs: result.windowMs })}); try again in ${after}`,
    undefined,
    rateLimitHeaders(result, now),
  );
}
