/**
 * What is limited and how much: the tiers, their defaults, and the `<requests>/<window>` text
 * the environment, the CLI and a team's stored overrides all use (`100/1h`, `1200/1m`).
 * Plain data and parsing, imported by server/env.ts, so it imports nothing of Chorus's.
 *
 * - `spend`: operations that make models spend tokens — creating a task, rerunning one. 100 per
 *   hour is the reference architecture's limit.
 * - `write`: the other changes — approve, reject, cancel, defining and deleting agents. Cheap for
 *   the server, but each starts or stops work; 300 per minute is 5 a second sustained, far more
 *   than a person clicking and plenty for a script, while a runaway loop still meets a wall.
 * - `read`: reads and live streams. 1,200 per minute is 20 a second sustained per API key or
 *   user: a dashboard (task list, a task view and its stream, a few requests per navigation)
 *   uses a handful a second at most, and an integration polling ten running tasks once a second
 *   each uses 10; the limit is there for the client gone wrong (a poll loop without a sleep),
 *   not for the ones behaving. A stream counts once, when it opens.
 */
export const RATE_LIMIT_TIERS = ["spend", "write", "read"] as const;
export type RateLimitTier = (typeof RATE_LIMIT_TIERS)[number];

export interface RateLimitRule {
  /** Requests allowed in any sliding window of `windowMs`. */
  limit: number;
  windowMs: number;
}

export type RateLimitRules = Record<RateLimitTier, RateLimitRule>;

export const DEFAULT_RATE_LIMITS: Record<RateLimitTier, string> = {
  spend: "100/1h",
  write: "300/1m",
  read: "1200/1m",
};

/** The environment variable holding each tier's server-wide default. */
export const RATE_LIMIT_ENV: Record<RateLimitTier, string> = {
  spend: "CHORUS_RATE_LIMIT_SPEND",
  write: "CHORUS_RATE_LIMIT_WRITE",
  read: "CHORUS_RATE_LIMIT_READ",
};

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const MAX_RATE_LIMIT = 1_000_000_000;
const MAX_WINDOW_MS = 31 * UNIT_MS.d;
const RULE = /^([1-9]\d{0,9})\/([1-9]\d{0,5})?(s|m|h|d)$/;

export const RATE_LIMIT_FORMAT = `<requests>/<window>, e.g. 100/1h or 1200/1m (window in s, m, h or d; 1 to ${MAX_RATE_LIMIT.toLocaleString("en")} requests, 1s to 31d)`;

/** `100/1h` → { limit: 100, windowMs: 3_600_000 }; undefined for anything else (`1h` may be written `h`). */
export function parseRateLimitRule(text: string): RateLimitRule | undefined {
  const match = RULE.exec(text.trim());
  if (!match) return undefined;
  const limit = Number(match[1]);
  const windowMs = Number(match[2] ?? "1") * UNIT_MS[match[3] as keyof typeof UNIT_MS];
  if (limit > MAX_RATE_LIMIT || windowMs > MAX_WINDOW_MS) return undefined;
  return { limit, windowMs };
}

/** The rule as `<requests>/<window>`, in the largest unit that divides the window. */
export function formatRateLimitRule(rule: RateLimitRule): string {
  const [unit, ms] = (Object.entries(UNIT_MS) as Array<[string, number]>).reverse().find(([, ms]) => rule.windowMs % ms === 0)!;
  return `${rule.limit}/${rule.windowMs / ms}${unit}`;
}
