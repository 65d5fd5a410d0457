import { getEnv } from "@/server/env";

/**
 * The origin a browser used to reach Chorus: AUTH_URL's when it is set; otherwise — when the
 * proxy in front is trusted (AUTH_TRUST_HOST, the default) — the one it forwarded
 * (`X-Forwarded-Proto`/`X-Forwarded-Host`), else the request's `Host`. Never the address the
 * server listens on (`http://0.0.0.0:3000`), which is what Next.js puts in a custom server's
 * request URLs, and what sign-out redirects behind a proxy used to point at.
 */
type HeaderSource = { get(name: string): string | null };

export function publicOrigin(headers: HeaderSource, fallbackProtocol: "http" | "https" = "http"): string | undefined {
  const env = getEnv();
  if (env.AUTH_URL) return new URL(env.AUTH_URL).origin;
  const host = (env.AUTH_TRUST_HOST ? firstValue(headers.get("x-forwarded-host")) : undefined) ?? headers.get("host") ?? undefined;
  if (!host) return undefined;
  const forwardedProtocol = env.AUTH_TRUST_HOST ? firstValue(headers.get("x-forwarded-proto")) : undefined;
  const protocol = forwardedProtocol === "https" || forwardedProtocol === "http" ? forwardedProtocol : fallbackProtocol;
  try {
    return new URL(`${protocol}://${host}`).origin;
  } catch {
    return undefined; // a Host header that is no host
  }
}

/** Whether the browser's connection was TLS (directly, or to a trusted proxy that said so). */
export function cameOverTls(headers: HeaderSource, socketEncrypted: boolean): boolean {
  if (socketEncrypted) return true;
  const env = getEnv();
  if (env.AUTH_URL?.startsWith("https://")) return true;
  return env.AUTH_TRUST_HOST && firstValue(headers.get("x-forwarded-proto")) === "https";
}

function firstValue(header: string | null): string | undefined {
  return header?.split(",")[0]?.trim().toLowerCase() || undefined;
}
