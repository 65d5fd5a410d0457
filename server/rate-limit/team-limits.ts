import { LRUCache } from "lru-cache";
import { mergeTeamRateLimits, readTeamRateLimits } from "@/server/db/queries/rate-limits";
import { getEnv } from "@/server/env";
import { logger } from "@/server/observability/logger";
import { processWide } from "@/server/process-wide";
import {
  RATE_LIMIT_TIERS,
  formatRateLimitRule,
  parseRateLimitRule,
  type RateLimitRule,
  type RateLimitRules,
  type RateLimitTier,
} from "@/server/domain/rate-limit-rules";

/**
 * A team's effective limits: the server's defaults (CHORUS_RATE_LIMIT_*) with the team's own
 * overrides (`Team.rateLimits`, e.g. `{"spend":"200/1h"}`, set with `chorus team limits`) on
 * top. Every checked request needs them, so each process keeps them TEAM_LIMITS_TTL_MS: a change
 * made here applies at once, one made by another process (the CLI, another worker) within that.
 */
export const TEAM_LIMITS_TTL_MS = 10_000;

export type RateLimitOverrides = Partial<Record<RateLimitTier, RateLimitRule>>;

export interface TeamRateLimits {
  rules: RateLimitRules;
  /** The tiers the team overrides. */
  overridden: RateLimitTier[];
}

const cache = () =>
  processWide(
    "chorus.rate-limit.team-limits",
    () => new LRUCache<string, Promise<TeamRateLimits>>({ max: 10_000, ttl: TEAM_LIMITS_TTL_MS }),
  );

export function defaultRateLimits(): RateLimitRules {
  const env = getEnv();
  return { spend: env.CHORUS_RATE_LIMIT_SPEND, write: env.CHORUS_RATE_LIMIT_WRITE, read: env.CHORUS_RATE_LIMIT_READ };
}

/** The overrides in a stored `rateLimits` value; a malformed entry (edited by hand) is skipped and named. */
export function parseStoredOverrides(stored: unknown): { overrides: RateLimitOverrides; problems: string[] } {
  const overrides: RateLimitOverrides = {};
  const problems: string[] = [];
  if (stored === null || stored === undefined) return { overrides, problems };
  if (typeof stored !== "object" || Array.isArray(stored)) return { overrides, problems: ["rateLimits is not an object"] };
  for (const [tier, text] of Object.entries(stored)) {
    const rule = typeof text === "string" && (RATE_LIMIT_TIERS as readonly string[]).includes(tier) ? parseRateLimitRule(text) : undefined;
    if (rule) overrides[tier as RateLimitTier] = rule;
    else problems.push(`rateLimits.${tier}: ${JSON.stringify(text)}`);
  }
  return { overrides, problems };
}

async function load(teamId: string): Promise<TeamRateLimits> {
  const { overrides, problems } = parseStoredOverrides(await readTeamRateLimits(teamId));
  if (problems.length > 0) logger.warn("ignoring malformed rate-limit overrides of a team", { teamId, problems });
  return { rules: { ...defaultRateLimits(), ...overrides }, overridden: RATE_LIMIT_TIERS.filter((tier) => tier in overrides) };
}

export function teamRateLimits(teamId: string): Promise<TeamRateLimits> {
  const teams = cache();
  let limits = teams.get(teamId);
  if (!limits) {
    limits = load(teamId);
    teams.set(teamId, limits);
    // A failed read is not remembered: the next request asks again.
    limits.catch(() => teams.delete(teamId));
  }
  return limits;
}

/**
 * Sets some of a team's overrides (`reset` first clears them all, back to the defaults) and
 * returns the team's effective limits; false when there is no such team.
 */
export async function updateTeamRateLimits(
  teamId: string,
  change: { set?: RateLimitOverrides; reset?: boolean },
): Promise<TeamRateLimits | false> {
  const set = Object.fromEntries(Object.entries(change.set ?? {}).map(([tier, rule]) => [tier, formatRateLimitRule(rule)]));
  const stored = await mergeTeamRateLimits(teamId, set, change.reset ?? false);
  if (stored === undefined) return false;
  cache().delete(teamId);
  return teamRateLimits(teamId);
}
