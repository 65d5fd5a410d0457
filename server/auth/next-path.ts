/**
 * Where the browser goes after signing in. A `next` from the query string is attacker-chosen
 * (a link in a phishing mail), so it is used only when it resolves — the way the browser will
 * resolve it — to a path on Chorus's own origin. String checks miss the tricks browsers accept:
 * `/\evil.example` (a backslash is a slash), `/%09/evil.example` (tabs and newlines are dropped),
 * `/..//evil.example` (the dot segment leaves `//evil.example`, a host). So: resolve it with the
 * URL parser against our origin, require the same origin, and never hand back a path that starts
 * with two slashes.
 */
export const DEFAULT_AFTER_SIGN_IN = "/tasks";

/** Any origin will do: only whether `next` leaves it matters. */
const OWN_ORIGIN = "http://chorus.invalid";

export function safeNextPath(next: unknown, fallback = DEFAULT_AFTER_SIGN_IN): string {
  if (typeof next !== "string" || !next.startsWith("/") || next.length > 2048) return fallback;
  let url: URL;
  try {
    url = new URL(next, OWN_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== OWN_ORIGIN) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (path.startsWith("//") || path.startsWith("/\\")) return fallback;
  // Back to the sign-in page would only ask again.
  if (url.pathname === "/signin" || url.pathname.startsWith("/api/")) return fallback;
  return path;
}

/** The sign-in page, remembering where the visitor was going (validated again when used). */
export function signInPath(returnTo: string | null | undefined): string {
  const next = safeNextPath(returnTo, "");
  return next && next !== DEFAULT_AFTER_SIGN_IN ? `/signin?next=${encodeURIComponent(next)}` : "/signin";
}
