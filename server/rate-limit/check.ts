import type { Caller } from "@/server/auth/caller";
import { getEnv } from "@/server/env";
import { countRateLimitRejection } from "@/server/observability/metrics";
import { processWide } from "@/server/process-wide";
import type { RateLimitBackend } from "./backend";
import { createPostgresBackend } from "./postgres-backend";
import { rateLimitedError, rateLimitHeaders, type RateLimitResult } from "./result";
import type { RateLimitTier } from "@/server/domain/rate-limit-rules";
import { teamRateLimits } from "./team-limits";
import { createUpstashBackend } from "./upstash-backend";

/**
 * The one way a request is rate-limited: `checkRateLimit` counts it against its identity's
 * limit for the tier (the team's override or the server's default) in whichever backend is
 * configured, and answers whether it may go ahead; `enforceRateLimit` turns a refusal into the
 * 429 to throw before anything is done, and otherwise returns the headers for the answer.
 */
export type RateLimitIdentity = `key:${string}` | `user:${string}`;

export interface RateLimitRequest {
  teamId: string;
  identity: RateLimitIdentity;
  tier: RateLimitTier;
}

/** An API key is limited on its own; a signed-in member per team they act in. */
export function rateLimitIdentityOf(caller: Caller): RateLimitIdentity {
  if (caller.apiKeyId) return `key:${caller.apiKeyId}`;
  if (caller.userId) return `user:${caller.userId}`;
  throw new Error("a caller is either an API key or a user");
}

interface SelectedBackend {
  url: string | undefined;
  token: string | undefined;
  backend: RateLimitBackend;
}

/**
 * The configured backend. Every checked request asks, and validating the whole environment
 * costs ≈ 10 µs, so this reads only the two variables that choose (as server/db/client.ts does
 * for DATABASE_URL) and consults `getEnv()` when they change.
 */
function configuredBackend(): RateLimitBackend {
  const url = process.env.UPSTASH_REDIS_REST_URL;
  const token = process.env.UPSTASH_REDIS_REST_TOKEN;
  const state = processWide("chorus.rate-limit.backend", () => ({ selected: undefined as SelectedBackend | undefined }));
  if (state.selected && state.selected.url === url && state.selected.token === token) return state.selected.backend;
  const env = getEnv();
  const backend =
    env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN
      ? createUpstashBackend({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN })
      : processWide("chorus.rate-limit.postgres", () => createPostgresBackend());
  state.selected = { url, token, backend };
  return backend;
}

export async function checkRateLimit(request: RateLimitRequest): Promise<RateLimitResult> {
  const { rules } = await teamRateLimits(request.teamId);
  return configuredBackend().check({ key: `${request.teamId}:${request.identity}`, tier: request.tier, rule: rules[request.tier] });
}

/** Counts the request; throws the 429 (`rate_limited`, with its headers) when refused, else returns the headers to answer with. */
export async function enforceRateLimit(request: RateLimitRequest): Promise<Record<string, string>> {
  const result = await checkRateLimit(request);
  if (!result.allowed) {
    countRateLimitRejection(request.tier);
    throw rateLimitedError(result);
  }
  return rateLimitHeaders(result);
}
