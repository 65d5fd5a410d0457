import { getToken } from "next-auth/jwt";
import { liveSessionRole } from "@/server/db/queries/sessions";
import { getEnv } from "@/server/env";
import { AppError } from "@/server/errors";
import { authenticateApiKey, bearerToken } from "./api-keys";
import type { Caller } from "./caller";
import { clientAddress } from "./sign-in-throttle";

/**
 * Resolves the caller of a request: an `Authorization: Bearer <api key>` header, else the
 * signed-in session — valid only while its Session row lives (not signed out, not expired, the
 * password not changed since) and the user is still a member; the role is re-read each time.
 *
 * The session cookie is read from the request's headers with Auth.js's own decoder, so the same
 * check serves the API (answered by the custom server, outside Next) and the dashboard's server
 * components (which pass `headers()`).
 */
export const SESSION_COOKIE = "authjs.session-token";
/** Auth.js names the cookie with this prefix when the sign-in came over HTTPS. */
export const SECURE_SESSION_COOKIE = `__Secure-${SESSION_COOKIE}`;

export async function sessionCaller(headers: Headers): Promise<Caller | null> {
  const cookies = headers.get("cookie");
  if (!cookies?.includes(SESSION_COOKIE)) return null;
  const secret = getEnv().AUTH_SECRET;
  if (!secret) return null;
  const secureCookie = cookies.includes(`${SECURE_SESSION_COOKIE}=`);
  const token = await getToken({
    req: { headers },
    secret,
    secureCookie,
    cookieName: secureCookie ? SECURE_SESSION_COOKIE : SESSION_COOKIE,
  });
  const userId = token?.sub;
  const teamId = token?.teamId;
  const sessionId = token?.sid;
  if (typeof userId !== "string" || typeof teamId !== "string" || typeof sessionId !== "string") return null;
  const role = await liveSessionRole({ sessionId, userId, teamId });
  return role ? { teamId, userId, role } : null;
}

export async function requestCaller(headers: Headers): Promise<Caller> {
  const authorization = headers.get("authorization");
  if (authorization) {
    const key = bearerToken(authorization);
    if (!key) throw new AppError("unauthorized", "Authorization header must be `Bearer <api key>`", "authorization");
    return withClient(await authenticateApiKey(key), headers);
  }
  const caller = await sessionCaller(headers);
  if (!caller) throw new AppError("unauthorized", "Sign in or send an API key as `Authorization: Bearer <key>`");
  return withClient(caller, headers);
}

/** The caller with the request's address and user agent, for the audit log (a copy: a verified key's caller is shared). */
function withClient(caller: Caller, headers: Headers): Caller {
  // The configuration is read only when a proxy's header needs it: this runs on every API request.
  const address = clientAddress(headers, headers.has("x-forwarded-for") && getEnv().AUTH_TRUST_HOST);
  const userAgent = headers.get("user-agent") ?? undefined;
  return { ...caller, client: { address: address || undefined, userAgent } };
}
