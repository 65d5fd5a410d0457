/**
 * Rate limits per API key or user, in tiers a team can override (docs/rate-limits.md). Other
 * code imports from here, not from the modules behind it:
 *
 *   const headers = await enforceRateLimit({ teamId, identity: rateLimitIdentityOf(caller), tier: "spend" });
 *   // refused → throws AppError("rate_limited") carrying Retry-After and RateLimit-*; else answer with `headers`
 */
export { checkRateLimit, enforceRateLimit, rateLimitIdentityOf, type RateLimitIdentity, type RateLimitRequest } from "./check";
export { rateLimitedError, rateLimitHeaders, type RateLimitResult } from "./result";
export * from "@/server/domain/rate-limit-rules";
export { TEAM_LIMITS_TTL_MS, teamRateLimits, updateTeamRateLimits, type RateLimitOverrides, type TeamRateLimits } from "./team-limits";
