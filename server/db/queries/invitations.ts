import { getDb } from "@/server/db/client";
import type { Role } from "@/server/db/generated/enums";

/**
 * Invitations, `Invitation` rows: a link into a team with a role. Only the SHA-256 of the link's
 * token is stored and only the look-up by hash reads it; management queries take the team and
 * filter by it. Accepting is one conditional update, so a link is used once even when two people
 * open it at the same moment.
 */

const visible = {
  id: true,
  teamId: true,
  role: true,
  email: true,
  expiresAt: true,
  acceptedAt: true,
  revokedAt: true,
  createdAt: true,
  createdBy: { select: { name: true, email: true } },
} as const;

export async function insertInvitation(invitation: {
  teamId: string;
  role: Role;
  email?: string;
  tokenHash: string;
  createdById?: string;
  expiresAt: Date;
}) {
  return getDb().invitation.create({ data: invitation, select: visible });
}

/** The team's invitations not yet accepted, revoked or expired at `now`, newest first. */
export async function listPendingInvitations(teamId: string, now: Date) {
  return getDb().invitation.findMany({
    where: { teamId, acceptedAt: null, revokedAt: null, expiresAt: { gt: now } },
    select: visible,
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
  });
}

/** The invitation whose token has this hash, with its team's name; null when there is none. */
export async function findInvitationByTokenHash(tokenHash: string) {
  return getDb().invitation.findUnique({
    where: { tokenHash },
    select: { ...visible, team: { select: { name: true } } },
  });
}

/** Revokes a pending invitation of the team; false when it is unknown, another team's, accepted or already revoked. */
export async function markInvitationRevoked(teamId: string, invitationId: string, at: Date): Promise<boolean> {
  const { count } = await getDb().invitation.updateMany({
    where: { id: invitationId, teamId, acceptedAt: null, revokedAt: null },
    data: { revokedAt: at },
  });
  return count > 0;
}

/** The pending invitations (unexpired at `now`) bound to this email, oldest first: who an OIDC sign-in may join. */
export async function findPendingInvitationsForEmail(email: string, now: Date) {
  return getDb().invitation.findMany({
    where: { email, acceptedAt: null, revokedAt: null, expiresAt: { gt: now } },
    select: { id: true, teamId: true, role: true },
    orderBy: { createdAt: "asc" },
  });
}

/**
 * Uses the invitation for a user — an existing one (`id`) or a new one created in the same
 * transaction — and makes them a member with its role, all or nothing. The invitation is claimed
 * by a conditional update (still pending and unexpired at `now`), so of two simultaneous accepts
 * one wins and the other gets "gone". A user already in the team keeps their role and the link
 * stays unused ("already-member").
 */
export async function acceptInvitation(input: {
  invitationId: string;
  now: Date;
  user: { id: string } | { email: string; name?: string; passwordHash: string };
}): Promise<{ outcome: "joined"; userId: string; teamId: string; role: Role } | { outcome: "gone" | "already-member" }> {
  return getDb()
    .$transaction(async (tx) => {
      const invitation = await tx.invitation.findUnique({ where: { id: input.invitationId }, select: { teamId: true, role: true } });
      if (!invitation) return { outcome: "gone" as const };
      const who = input.user;
      const user =
        "id" in who
          ? { id: who.id }
          : await tx.user.create({ data: { email: who.email, name: who.name, passwordHash: who.passwordHash }, select: { id: true } });
      const existing = await tx.membership.findUnique({ where: { teamId_userId: { teamId: invitation.teamId, userId: user.id } } });
      if (existing) return { outcome: "already-member" as const };
      const { count } = await tx.invitation.updateMany({
        where: { id: input.invitationId, acceptedAt: null, revokedAt: null, expiresAt: { gt: input.now } },
        data: { acceptedAt: input.now, acceptedById: user.id },
      });
      if (count === 0) throw new InvitationGone();
      await tx.membership.create({ data: { teamId: invitation.teamId, userId: user.id, role: invitation.role } });
      return { outcome: "joined" as const, userId: user.id, teamId: invitation.teamId, role: invitation.role };
    })
    .catch((error: unknown) => {
      // Thrown inside, so a user created for this accept is rolled back with it.
      if (error instanceof InvitationGone) return { outcome: "gone" as const };
      throw error;
    });
}

class InvitationGone extends Error {}
