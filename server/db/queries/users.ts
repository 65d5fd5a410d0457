import { getDb } from "@/server/db/client";

/**
 * Users, `User` rows: one per email (unique), in any number of teams (memberships.ts). Only
 * sign-in reads a password hash; the other queries leave it out (`omit`).
 */

export async function countUsers(): Promise<number> {
  return getDb().user.count();
}

/** The user with this email, with their hash and their first membership (the team they sign in to). */
export async function findUserForSignIn(email: string) {
  return getDb().user.findUnique({ where: { email }, include: { memberships: { orderBy: { createdAt: "asc" }, take: 1 } } });
}

/** The user with this email and all their memberships, without the hash; null when there is none. */
export async function findUserWithMemberships(email: string) {
  return getDb().user.findUnique({ where: { email }, include: { memberships: true }, omit: { passwordHash: true } });
}

/** Replaces a user's password hash only if it is still `current`: a password changed meanwhile stays changed. */
export async function replacePasswordHash(userId: string, current: string, next: string): Promise<void> {
  await getDb().user.updateMany({ where: { id: userId, passwordHash: current }, data: { passwordHash: next } });
}

/** Sets the password hash of the user with this email; returns their id, or undefined when there is none. */
export async function setPasswordHashByEmail(email: string, passwordHash: string): Promise<string | undefined> {
  const updated = await getDb().user.updateMany({ where: { email }, data: { passwordHash } });
  if (updated.count === 0) return undefined;
  const user = await getDb().user.findUniqueOrThrow({ where: { email }, select: { id: true } });
  return user.id;
}

/** A user's email and name; undefined when there is no such user. */
export async function findUserContact(userId: string) {
  const user = await getDb().user.findUnique({ where: { id: userId }, select: { email: true, name: true } });
  return user ?? undefined;
}
