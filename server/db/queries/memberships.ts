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
