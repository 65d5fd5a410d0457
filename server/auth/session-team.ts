import { encode, getToken } from "next-auth/jwt";
import { z } from "zod";
import { findMemberRole, listUserTeams } from "@/server/db/queries/memberships";
import { findTeamBySlugOrId } from "@/server/db/queries/teams";
import { getEnv } from "@/server/env";
import { AppError } from "@/server/errors";
import { parseInput } from "@/server/validation";
import type { Caller } from "./caller";
import { SECURE_SESSION_COOKIE, SESSION_COOKIE } from "./session-caller";

/**
 * Which team a signed-in session works in, and switching it. The session cookie is Auth.js's
 * signed JWT and carries the team (`teamId`); switching re-issues it — same user, same Session
 * row, same expiry — for another team the user is a member of, checked here on the server. Every
 * page and API call then reads that team. An API key belongs to one team: there is nothing to switch.
 */

export const switchTeamInput = z.object({ teamId: z.string().min(1).max(100) }).strict();

/** The teams the caller can work in (a session: the user's teams; a key: its own), the current one marked. */
export async function listCallerTeams(caller: Caller) {
  if (!caller.userId) {
    const team = await findTeamBySlugOrId(caller.teamId);
    return team ? [{ id: team.id, slug: team.slug, name: team.name, role: caller.role, current: true }] : [];
  }
  const teams = await listUserTeams(caller.userId);
  return teams.map((team) => ({ ...team, current: team.id === caller.teamId }));
}

/**
 * A new session cookie for the body's `teamId` (a team id or slug), in place of the one in `headers`. Refused
 * as not_found when the caller is not a member of it — other teams are not revealed — and as
 * bad_request for an API key switching elsewhere.
 */
export async function switchSessionTeam(caller: Caller, headers: Headers, raw: unknown) {
  const { teamId: teamIdOrSlug } = parseInput(switchTeamInput, raw);
  const team = await findTeamBySlugOrId(teamIdOrSlug);
  const role = team && caller.userId ? await findMemberRole(team.id, caller.userId) : undefined;
  if (!team || (!role && team.id !== caller.teamId)) throw new AppError("not_found", "You are not a member of that team", "teamId");
  if (!caller.userId)
    throw new AppError("bad_request", "An API key belongs to one team: only a signed-in session switches teams", "teamId");
  const secret = getEnv().AUTH_SECRET;
  const cookies = headers.get("cookie") ?? "";
  const secureCookie = cookies.includes(`${SECURE_SESSION_COOKIE}=`);
  const cookieName = secureCookie ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  const token = secret ? await getToken({ req: { headers }, secret, secureCookie, cookieName }) : null;
  if (!secret || !token || token.sub !== caller.userId) throw new AppError("unauthorized", "Sign in again to switch teams");
  const expiresAt = typeof token.exp === "number" ? token.exp : Math.floor(Date.now() / 1000) + getEnv().CHORUS_SESSION_MAX_AGE_SECONDS;
  const maxAge = Math.max(1, expiresAt - Math.floor(Date.now() / 1000));
  const { exp: _exp, iat: _iat, jti: _jti, ...claims } = token;
  const value = await encode({ salt: cookieName, secret, maxAge, token: { ...claims, teamId: team.id, role } });
  const expires = new Date(expiresAt * 1000);
  const attributes = [`Path=/`, `HttpOnly`, `SameSite=Lax`, `Expires=${expires.toUTCString()}`];
  if (secureCookie) attributes.push("Secure");
  return {
    team: { id: team.id, slug: team.slug, name: team.name, role: role! },
    /** The cookie as a server action sets it (`cookies().set`), and as a `Set-Cookie` header. */
    cookie: { name: cookieName, value, expires, secure: secureCookie },
    setCookie: `${cookieName}=${value}; ${attributes.join("; ")}`,
  };
}
