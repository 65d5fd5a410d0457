/**
 * Time arithmetic for the executor: the SDK's duration strings, when a sleep ends, and how long
 * to back off before retrying.
 */
const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Milliseconds in a duration string as the SDK sends it (`"1w2d3h4m5s"`, `"30s"`; the SDK
 * turns every `ms`-style input into this form). Also takes `"500ms"`, spaces, and `""` (zero).
 */
export function parseDuration(text: string): number {
  const compact = text.replace(/\s+/g, "");
  if (compact === "") return 0;
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(compact)) throw new Error(`Unsupported duration "${text}"`);
  let total = 0;
  for (const [, amount, , unit] of compact.matchAll(/(\d+(\.\d+)?)(ms|s|m|h|d|w)/g)) {
    total += Number(amount) * unitMs[unit!]!;
  }
  return total;
}

/** When a `step.sleep` (a duration) or `step.sleepUntil` (an ISO date) op ends. */
export function sleepTarget(name: string): { delayMs: number } | { until: string } {
  if (/^\d{4}-\d{2}-\d{2}T/.test(name)) {
    const at = Date.parse(name);
    if (Number.isNaN(at)) throw new Error(`Unsupported sleep target "${name}"`);
    return { until: new Date(at).toISOString() };
  }
  return { delayMs: parseDuration(name) };
}

export const MAX_RETRY_DELAY_MS = 15 * 60_000;

/**
 * Exponential backoff with jitter: after failed attempt n (0-based) wait between half and all of
 * `baseMs · 2ⁿ`, capped at 15 minutes. Jitter keeps many runs failing together (an LLM
 * provider outage) from retrying in lockstep.
 */
export function retryDelayMs(failedAttempt: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.min(failedAttempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The delay a `RetryAfterError` asked for: the SDK passes it on as whole seconds (`"30"`) or an
 * ISO date. Undefined when it is neither.
 */
export function retryAfterDelayMs(retryAfter: string, now = Date.now()): number | undefined {
  if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
  const at = Date.parse(retryAfter);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
