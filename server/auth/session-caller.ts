import { liveSessionRole } from "@/server/db/queries/sessions";
import { AppError } from "@/server/errors";
import { authenticateApiKey, bearerToken } from "./api-keys";
import type { Caller } from "./caller";

/**
 * Resolves the caller of a request: an `Authorization: Bearer <api key>` header, else the
 * signed-in session — valid only while its Session row lives (not signed out, not expired, the
 * password not changed since) and the user is still a member; the role is re-read each time.
 */
export async function sessionCaller(): Promise<Caller | null> {
  // Loaded when a request has no API key: key-only callers (integrations, the CLI's checks, the
  // tests) never load next-auth, which only runs inside Next's request handling.
  const { auth } = await import("./auth");
  const session = await auth();
  const user = session?.user;
  if (!user?.id || !user.teamId || !user.sessionId) return null;
  const role = await liveSessionRole({ sessionId: user.sessionId, userId: user.id, teamId: user.teamId });
  return role ? { teamId: user.teamId, userId: user.id, role } : null;
}

export async function requestCaller(headers: Headers): Promise<Caller> {
  const authorization = headers.get("authorization");
  if (authorization) {
    const key = bearerToken(authorization);
    if (!key) throw new AppError("unauthorized", "Authorization header must be `Bearer <api key>`", "authorization");
    return authenticateApiKey(key);
  }
  const caller = await sessionCaller();
  if (!caller) throw new AppError("unauthorized", "Sign in or send an API key as `Authorization: Bearer <key>`");
  return caller;
}
