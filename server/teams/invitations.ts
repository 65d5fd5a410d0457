import { recordAudit } from "@/server/audit/record-audit";
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { hashPassword } from "@/server/auth/password";
import { roleWithin } from "@/server/auth/permissions";
import {
  acceptInvitation,
  findInvitationByTokenHash,
  insertInvitation,
  listPendingInvitations,
  markInvitationRevoked,
} from "@/server/db/queries/invitations";
import { findUserContact, findUserWithMemberships } from "@/server/db/queries/users";
import { isUniqueViolation } from "@/server/db/unique-violation";
import { AppError } from "@/server/errors";
import { parseInput } from "@/server/validation";
import { roleSchema } from "./members";
import { email, password } from "./teams";

/**
 * Invitations by link: an admin invites someone into the team with a role (and optionally only
 * the person with a given email). The link, `/invite/<token>`, is shown once: only the SHA-256 of
 * its 192-bit token is stored. It works once, until it expires (7 days unless the admin says
 * otherwise) or is revoked. A signed-in person who opens it joins (keeping their other teams); a
 * new person creates an account (name, email, password) and joins; someone whose email already has
 * an account signs in first. `now` is a parameter so tests can move the clock.
 */
export const INVITATION_DEFAULT_MINUTES = 7 * 24 * 60;
const INVITATION_MAX_MINUTES = 30 * 24 * 60;

export const createInvitationInput = z
  .object({
    role: roleSchema,
    email: email.optional(),
    /** How long the link works, in minutes (default 7 days, at most 30). */
    expiresInMinutes: z.number().int().min(1).max(INVITATION_MAX_MINUTES).optional(),
  })
  .strict();
export const invitationIdInput = z.object({ id: z.string().min(1).max(100) }).strict();
const tokenSchema = z.string().regex(/^[A-Za-z0-9_-]{32}$/, "is not an invitation token");
export const acceptInvitationInput = z
  .object({
    token: tokenSchema,
    /** For a new account; a signed-in caller sends none of these. */
    name: z.string().trim().min(1).max(200).optional(),
    email: email.optional(),
    password: password.optional(),
  })
  .strict();

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export async function createInvitation(caller: Caller, raw: unknown, now = new Date()) {
  requirePermission(caller, "manage");
  const input = parseInput(createInvitationInput, raw);
  if (!roleWithin(input.role, caller.role))
    throw new AppError("forbidden", `You cannot invite with a role above yours (${caller.role})`, "role");
  const token = randomBytes(24).toString("base64url");
  const invitation = await insertInvitation({
    teamId: caller.teamId,
    role: input.role,
    email: input.email,
    tokenHash: hashToken(token),
    createdById: caller.userId,
    expiresAt: new Date(now.getTime() + (input.expiresInMinutes ?? INVITATION_DEFAULT_MINUTES) * 60_000),
  });
  await recordAudit(caller, {
    action: "member.invited",
    target: { type: "invitation", id: invitation.id },
    details: { role: input.role, boundToEmail: Boolean(input.email) },
  });
  // The token leaves the server this once; afterwards only its hash exists.
  return { ...invitation, token, path: `/invite/${token}` };
}

export async function listInvitations(caller: Caller, now = new Date()) {
  requirePermission(caller, "manage");
  return listPendingInvitations(caller.teamId, now);
}

export async function revokeInvitation(caller: Caller, invitationId: string): Promise<{ revoked: true }> {
  requirePermission(caller, "manage");
  const { id } = parseInput(invitationIdInput, { id: invitationId });
  if (!(await markInvitationRevoked(caller.teamId, id, new Date())))
    throw new AppError("not_found", "No pending invitation with this id in this team", "id");
  await recordAudit(caller, { action: "member.invitation_revoked", target: { type: "invitation", id } });
  return { revoked: true };
}

export type InvitationState = "pending" | "expired" | "used" | "revoked" | "unknown";

/** What the invite page shows for a token, without accepting it: its state, the team and role. */
export async function describeInvitation(token: string, now = new Date()) {
  const invitation = tokenSchema.safeParse(token).success ? await findInvitationByTokenHash(hashToken(token)) : null;
  if (!invitation) return { state: "unknown" as const };
  const state: InvitationState = invitation.revokedAt
    ? "revoked"
    : invitation.acceptedAt
      ? "used"
      : invitation.expiresAt <= now
        ? "expired"
        : "pending";
  return {
    state,
    id: invitation.id,
    teamId: invitation.teamId,
    teamName: invitation.team.name,
    role: invitation.role,
    email: invitation.email,
  };
}

/** The email of the person signed in, as the invite page greets them; undefined when their account is gone. */
export async function inviteeEmail(userId: string): Promise<string | undefined> {
  return (await findUserContact(userId))?.email;
}

/** Why a link no longer works, as the person who opened it should read it. */
export function invitationStateMessage(state: Exclude<InvitationState, "pending">): string {
  return {
    unknown: "This invitation link is not valid. Check that you copied all of it, or ask for a new one.",
    expired: "This invitation has expired. Ask an admin of the team for a new link.",
    used: "This invitation has already been used. Each link works once: ask an admin of the team for a new one.",
    revoked: "This invitation was withdrawn by an admin of the team. Ask them for a new link if you should join.",
  }[state];
}

export interface JoinedTeam {
  userId: string;
  teamId: string;
  teamName: string;
  role: string;
}

/**
 * Accepts an invitation: as the signed-in user `userId`, or — without one — as a new account made
 * from `name`, `email` and `password`. Refused (conflict) when the link no longer works, when it
 * names another email, or when the new account's email already has one (that person signs in first).
 */
export async function acceptInvitationByToken(raw: unknown, userId: string | undefined, now = new Date()): Promise<JoinedTeam> {
  const input = parseInput(acceptInvitationInput, raw);
  const invitation = await describeInvitation(input.token, now);
  if (invitation.state === "unknown") throw new AppError("not_found", invitationStateMessage("unknown"), "token");
  if (invitation.state !== "pending") throw new AppError("conflict", invitationStateMessage(invitation.state), "token");
  const onlyFor = (address: string) => {
    if (invitation.email && invitation.email !== address.toLowerCase())
      throw new AppError("forbidden", `This invitation is for ${invitation.email}`, "email");
  };
  let user: { id: string } | { email: string; name?: string; passwordHash: string };
  if (userId) {
    const contact = await findUserContact(userId);
    if (!contact) throw new AppError("unauthorized", "Sign in again to accept this invitation");
    onlyFor(contact.email);
    user = { id: userId };
  } else {
    if (!input.email) throw new AppError("bad_request", "email is required to create an account", "email");
    if (!input.password) throw new AppError("bad_request", "password is required to create an account", "password");
    onlyFor(input.email);
    if (await findUserWithMemberships(input.email)) throw accountExists();
    user = { email: input.email, name: input.name, passwordHash: await hashPassword(input.password) };
  }
  const result = await acceptInvitation({ invitationId: invitation.id, now, user }).catch((error: unknown) => {
    // Another accept created an account with this email first.
    if (isUniqueViolation(error)) throw accountExists();
    throw error;
  });
  if (result.outcome !== "joined")
    throw new AppError(
      "conflict",
      result.outcome === "already-member" ? `You are already a member of ${invitation.teamName}` : invitationStateMessage("used"),
      "token",
    );
  await recordAudit(
    { teamId: result.teamId, userId: result.userId },
    { action: "member.joined", target: { type: "user", id: result.userId }, details: { role: result.role, invitationId: invitation.id } },
  );
  return { userId: result.userId, teamId: result.teamId, teamName: invitation.teamName, role: result.role };
}

const accountExists = () =>
  new AppError("conflict", "An account with this email already exists: sign in with it, then open the invitation link again", "email");
