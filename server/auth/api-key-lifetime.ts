/**
 * How long a new API key lasts, as an operator writes it (`chorus key create --expires-in 90d`):
 * whole days or hours, at most ten years. Plain parsing with no imports, so the CLI can check the
 * flag before it opens the database.
 */
const HOUR_MS = 3_600_000;
const LIFETIME_UNIT_MS = { h: HOUR_MS, d: 24 * HOUR_MS } as const;
const MAX_LIFETIME_MS = 3650 * LIFETIME_UNIT_MS.d;
const LIFETIME = /^([1-9]\d{0,6})([hd])$/;

export const API_KEY_LIFETIME_FORMAT = "a whole number of days or hours, e.g. 90d or 12h (1h to 3650d)";

/** How long a new key lasts: `90d` → 90 days in ms, `12h` → 12 hours; undefined for anything else. */
export function parseApiKeyLifetime(text: string): number | undefined {
  const match = LIFETIME.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * LIFETIME_UNIT_MS[match[2] as keyof typeof LIFETIME_UNIT_MS];
  return ms <= MAX_LIFETIME_MS ? ms : undefined;
}
