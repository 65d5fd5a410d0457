import { getDb } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { authenticateApiKey, bearerToken } from "./api-keys";
import type { Caller } from "./caller";

/**
 * Resolves the caller of a request: an `Authorization: Bearer <api key>` header, else the
 * signed-in session (whose membership and current role are re-read from the database).
 */
export async function sessionCaller(): Promise<Caller | null> {
  // Loaded when a request has no API key: key-only callers (integrations, the CLI's checks, the
  // tests) never load next-auth, which only runs inside Next's request handling.
  const { auth } = await import("./auth");
  const session = await auth();
  if (!session?.user?.id || !session.user.teamId) return null;
  const membership = await getDb().membership.findUnique({
    where: { teamId_userId: { teamId: session.user.teamId, userId: session.user.id } },
    select: { role: true },
  });
  if (!membership) return null;
  return { teamId: session.user.teamId, userId: session.user.id, role: membership.role };
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
