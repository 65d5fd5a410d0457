/**
 * Failed sign-ins are counted per account and per client address, and past a limit further
 * attempts are refused before the password is even checked (so guessing is slow, and a flood
 * of attempts cannot keep the cores busy with scrypt). In memory, per process: each of N
 * workers counts on its own, so the limits are per worker.
 */
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;
/** Failures of one account (any address) within the window before it is refused. */
export const ACCOUNT_LIMIT = 10;
/** Failures from one address (any account) within the window before it is refused. */
export const ADDRESS_LIMIT = 100;
/** Keys remembered at most; the oldest are forgotten first. */
const MAX_KEYS = 50_000;

export class SignInThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** How long (ms) the caller must wait before trying again, or 0 when it may try now. */
  retryAfterMs(email: string, address: string | undefined): number {
    return Math.max(this.wait(`account:${email}`, ACCOUNT_LIMIT), address ? this.wait(`address:${address}`, ADDRESS_LIMIT) : 0);
  }

  failed(email: string, address: string | undefined) {
    this.add(`account:${email}`);
    if (address) this.add(`address:${address}`);
  }

  /** A correct password clears the account's failures (not the address's). */
  succeeded(email: string) {
    this.failures.delete(`account:${email}`);
  }

  private recent(key: string): number[] {
    const since = this.now() - SIGN_IN_WINDOW_MS;
    const times = (this.failures.get(key) ?? []).filter((time) => time > since);
    if (times.length === 0) this.failures.delete(key);
    else this.failures.set(key, times);
    return times;
  }

  private wait(key: string, limit: number): number {
    const times = this.recent(key);
    if (times.length < limit) return 0;
    // Allowed again once enough of the failures have left the window.
    return times[times.length - limit]! + SIGN_IN_WINDOW_MS - this.now();
  }

  private add(key: string) {
    const times = this.recent(key);
    this.failures.delete(key); // re-inserted last: the map's order is least recently failed first
    this.failures.set(key, [...times, this.now()]);
    while (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
  }
}

export const signInThrottle = new SignInThrottle();

/**
 * The client's address as the custom server saw it (server/main.ts sets the header from the
 * socket and drops any the client sent), or behind a trusted proxy (AUTH_TRUST_HOST) the first
 * X-Forwarded-For hop — which a client can forge, so the per-account limit is what protects an
 * account; the per-address one slows spraying across accounts.
 */
export const CLIENT_ADDRESS_HEADER = "x-chorus-client-address";

export function clientAddress(headers: Headers, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  return headers.get(CLIENT_ADDRESS_HEADER) ?? undefined;
}

export function formatWait(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  return minutes <= 1 ? "a minute" : `${minutes} minutes`;
}
