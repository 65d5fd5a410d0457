import { z } from "zod";
import { findTeamBySlug, findTeamName, insertTeam } from "@/server/db/queries/teams";
import { findUserWithMemberships, setPasswordHashByEmail } from "@/server/db/queries/users";
import { insertTeamMember } from "@/server/db/queries/memberships";
import type { Role } from "@/server/db/types";
import type { Caller } from "@/server/auth/caller";
import { hashPassword } from "@/server/auth/password";
import { isUniqueViolation } from "@/server/db/unique-violation";
import { deleteUserSessions } from "@/server/db/queries/sessions";
import { AppError } from "@/server/errors";

/** Teams, users and memberships: what the CLI, first-run bootstrap and (later) the admin UI share. */
export const teamSlug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/, "must be 3-40 lowercase letters, digits or dashes, not starting or ending with a dash");
export const email = z.email("must be an email address").transform((value) => value.toLowerCase());
export const password = z.string().min(8, "must be at least 8 characters").max(200, "must be at most 200 characters");

function parse<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new AppError("bad_request", `${field} ${result.error.issues[0]?.message ?? "is invalid"}`, field);
  return result.data;
}

export async function createTeam(input: { slug: string; name?: string }) {
  const slug = parse(teamSlug, input.slug, "slug");
  try {
    return await insertTeam({ slug, name: input.name?.trim() || slug });
  } catch (error) {
    // The unique slug decides, not a look-up first: two creates at once would both find
    // nothing, and the loser's unique violation would be a 500 (slug is Team's only unique
    // field besides its generated id).
    if (isUniqueViolation(error)) throw new AppError("conflict", `Team "${slug}" already exists`, "slug");
    throw error;
  }
}

/** The name of the caller's team, as the dashboard shows it (undefined if the team is gone). */
export async function callerTeamName(caller: Caller): Promise<string | undefined> {
  return findTeamName(caller.teamId);
}

/** The team with this slug; not_found when there is none. */
export async function getTeamBySlug(slug: string) {
  const team = await findTeamBySlug(slug);
  if (!team) throw new AppError("not_found", `No team with slug "${slug}"`, "team");
  return team;
}

/**
 * Gives `role` in the team to the user with that email, creating the user first if there is
 * none. A new user needs a password; an existing one keeps theirs — joining a team never
 * changes the password they sign in to their other teams with. Returns the user and whether it
 * was created.
 */
export async function createUserInTeam(input: { email: string; password?: string; teamId: string; role: Role; name?: string }) {
  const address = parse(email, input.email, "email");
  const secret = input.password === undefined ? undefined : parse(password, input.password, "password");
  const alreadyMember = () => new AppError("conflict", `${address} is already a member of this team`, "email");
  const findUser = async () => {
    const user = await findUserWithMemberships(address);
    if (user?.memberships.some((membership) => membership.teamId === input.teamId)) throw alreadyMember();
    return user;
  };
  let existing = await findUser();
  const passwordHash = secret === undefined ? undefined : await hashPassword(secret);
  // The look-up only chooses between creating the user and joining an existing one; the unique
  // constraints decide, since simultaneous calls all pass it. The user and the membership are
  // written in one transaction, so a call that loses leaves nothing behind.
  for (let attempt = 1; ; attempt++) {
    if (!existing && passwordHash === undefined)
      throw new AppError("bad_request", `${address} has no account yet: a new user needs a password`, "password");
    try {
      const joined = existing;
      const user = await insertTeamMember({
        teamId: input.teamId,
        role: input.role,
        user: joined ? { id: joined.id } : { email: address, name: input.name, passwordHash: passwordHash! },
      });
      return { ...user, created: !joined };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Joining an existing user, only (teamId, userId) can clash: another call added them to
      // this team first.
      if (existing) throw alreadyMember();
      // Creating, only the email can clash: another call created the user first. Then do what a
      // later call does: a conflict if that call put them in this team, else join them.
      existing = await findUser();
      if (!existing && attempt >= 3) throw error;
    }
  }
}

/**
 * Sets a user's password and ends all their sessions: whoever signed in with the old one —
 * possibly someone who should not have — is signed out everywhere at once. Returns how many
 * sessions that ended.
 */
export async function changePassword(input: { email: string; password: string }): Promise<{ email: string; endedSessions: number }> {
  const address = parse(email, input.email, "email");
  const passwordHash = await hashPassword(parse(password, input.password, "password"));
  const userId = await setPasswordHashByEmail(address, passwordHash);
  if (userId === undefined) throw new AppError("not_found", `No user with email ${address}`, "email");
  return { email: address, endedSessions: await deleteUserSessions(userId) };
}
