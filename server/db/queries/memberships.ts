import { getDb } from "@/server/db/client";
import type { Role } from "@/server/db/generated/enums";

/** Memberships, `Membership` rows: a user's role in a team, unique per (team, user). */

/**
 * Gives a user `role` in the team — an existing user (`id`), or a new one stored in the same
 * transaction — so a call that loses to a unique constraint (the email, or the membership)
 * leaves nothing behind. Returns the user without their password hash.
 */
export async function insertTeamMember(member: {
  teamId: string;
  role: Role;
  user: { id: string } | { email: string; name?: string; passwordHash: string };
}) {
  const { user: who } = member;
  return getDb().$transaction(async (tx) => {
    const user =
      "id" in who
        ? await tx.user.findUniqueOrThrow({ where: { id: who.id }, omit: { passwordHash: true } })
        : await tx.user.create({
            data: { email: who.email, name: who.name, passwordHash: who.passwordHash },
            omit: { passwordHash: true },
          });
    await tx.membership.create({ data: { teamId: member.teamId, userId: user.id, role: member.role } });
    return user;
  });
}

/** How the team's members among `userIds` are named (name, else email); users no longer in the team are left out. */
export async function findTeamMemberLabels(teamId: string, userIds: readonly string[]): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const memberships = await getDb().membership.findMany({
    where: { teamId, userId: { in: [...userIds] } },
    select: { userId: true, user: { select: { name: true, email: true } } },
  });
  return new Map(memberships.map((membership) => [membership.userId, membership.user.name?.trim() || membership.user.email]));
}

/** The team's members with their role and when they joined, oldest first; no password hashes. */
export async function listTeamMembers(teamId: string) {
  const memberships = await getDb().membership.findMany({
    where: { teamId },
    select: { role: true, createdAt: true, user: { select: { id: true, name: true, email: true } } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  return memberships.map(({ user, role, createdAt }) => ({
    userId: user.id,
    name: user.name,
    email: user.email,
    role,
    joinedAt: createdAt,
  }));
}

/** What changing a membership came to: done, no such member in the team, or refused because the team would have no admin left. */
export type MembershipChange = "changed" | "not-member" | "last-admin";

/**
 * Gives a member a new role (`role`) or removes them (`null`), unless that leaves the team without
 * an admin. The team's row is locked first, so changes to one team's memberships run one at a
 * time: two admins demoting each other at once see each other's change, and the second is refused.
 */
export async function changeTeamMembership(teamId: string, userId: string, role: Role | null): Promise<MembershipChange> {
  return getDb().$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "Team" WHERE id = ${teamId} FOR UPDATE`;
    const member = await tx.membership.findUnique({ where: { teamId_userId: { teamId, userId } }, select: { role: true } });
    if (!member) return "not-member";
    if (member.role === "admin" && role !== "admin") {
      const admins = await tx.membership.count({ where: { teamId, role: "admin" } });
      if (admins <= 1) return "last-admin";
    }
    if (role === null) await tx.membership.delete({ where: { teamId_userId: { teamId, userId } } });
    else await tx.membership.update({ where: { teamId_userId: { teamId, userId } }, data: { role } });
    return "changed";
  });
}

/** The teams a user belongs to, with their role in each, by name. */
export async function listUserTeams(userId: string) {
  const memberships = await getDb().membership.findMany({
    where: { userId },
    select: { role: true, team: { select: { id: true, slug: true, name: true } } },
    orderBy: { team: { name: "asc" } },
  });
  return memberships.map(({ team, role }) => ({ id: team.id, slug: team.slug, name: team.name, role }));
}

/** The user's role in the team; undefined when they are not a member. */
export async function findMemberRole(teamId: string, userId: string): Promise<Role | undefined> {
  const member = await getDb().membership.findUnique({ where: { teamId_userId: { teamId, userId } }, select: { role: true } });
  return member?.role;
}
