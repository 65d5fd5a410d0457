import { query } from "@/server/db/client";
import type { Role } from "@/server/db/generated/enums";

/**
 * Signed-in browser sessions, one `Session` row each. The session cookie is a signed JWT that
 * names its row (`sid`); a request is signed in only while that row exists and has not expired,
 * so signing out, changing a password or removing a member takes effect on the next request
 * instead of when the JWT runs out.
 */

/** Records a new session and drops the user's expired ones (so the table holds live sessions only). */
export async function insertSession(input: { sessionId: string; userId: string; expires: Date }): Promise<void> {
  await query(
    `WITH pruned AS (DELETE FROM "Session" WHERE "userId" = $2 AND expires <= now())
     INSERT INTO "Session" (id, "sessionToken", "userId", expires) VALUES ($1, $1, $2, $3)`,
    [input.sessionId, input.userId, input.expires],
  );
}

/**
 * The member's current role in the team, if the session is live and they are still a member:
 * one indexed round trip, run on every signed-in request.
 */
export async function liveSessionRole(input: { sessionId: string; userId: string; teamId: string }): Promise<Role | null> {
  const { rows } = await query<{ role: Role }>(
    `SELECT m.role FROM "Session" s JOIN "Membership" m ON m."userId" = s."userId" AND m."teamId" = $3
     WHERE s."sessionToken" = $1 AND s."userId" = $2 AND s.expires > now()`,
    [input.sessionId, input.userId, input.teamId],
  );
  return rows[0]?.role ?? null;
}

export async function deleteSession(sessionId: string): Promise<void> {
  await query(`DELETE FROM "Session" WHERE "sessionToken" = $1`, [sessionId]);
}

/** Ends every session of a user (a password change); returns how many were live. */
export async function deleteUserSessions(userId: string): Promise<number> {
  const { rowCount } = await query(`DELETE FROM "Session" WHERE "userId" = $1`, [userId]);
  return rowCount ?? 0;
}
