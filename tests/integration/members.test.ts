import { describe, expect, it } from "vitest";
import { authenticateApiKey } from "@/server/auth/api-keys";
import { allowExternalSignIn, teamForExternalSignIn } from "@/server/auth/external-sign-in";
import { verifyPassword } from "@/server/auth/password";
import { roleWithin } from "@/server/auth/permissions";
import { getDb } from "@/server/db/client";
import { liveSessionRole } from "@/server/db/queries/sessions";
import {
  acceptInvitationByToken,
  createInvitation,
  describeInvitation,
  listInvitations,
  revokeInvitation,
} from "@/server/teams/invitations";
import { changeMemberRole, listMembers, removeMember } from "@/server/teams/members";
import { createTeamApiKey, listTeamApiKeys, revokeTeamApiKey } from "@/server/teams/team-api-keys";
import { createTeamWithMembers } from "../support/fixtures";
import { sessionCookie, useApiServer } from "../support/api-server";

/**
 * Members, invitations, team switching and API keys as admins and invitees use them: the last
 * admin is kept even against simultaneous demotions, invitation links work once and until they
 * expire, a session switches only into the user's own teams, and keys never outrank their creator.
 */
const api = useApiServer();
const DAY_MS = 24 * 60 * 60 * 1000;

async function addAdmin(teamId: string, email: string) {
  const user = await getDb().user.create({ data: { email } });
  await getDb().membership.create({ data: { teamId, userId: user.id, role: "admin" } });
  return { teamId, userId: user.id, role: "admin" as const };
}

describe("members", () => {
  it("every member sees the list with roles and join dates; a role change applies to the member's next request", async () => {
    const { team, callers } = await createTeamWithMembers();
    const members = await listMembers(callers.viewer);
    expect(members.map((member) => member.role).sort()).toEqual(["admin", "user", "viewer"]);
    expect(members.every((member) => member.joinedAt instanceof Date && member.email.endsWith("@test.dev"))).toBe(true);

    const { sessionId } = await sessionCookie({ userId: callers.user.userId!, teamId: team.id });
    expect(await changeMemberRole(callers.admin, callers.user.userId!, { role: "viewer" })).toMatchObject({ role: "viewer" });
    expect(await liveSessionRole({ sessionId, userId: callers.user.userId!, teamId: team.id })).toBe("viewer");

    await removeMember(callers.admin, callers.user.userId!);
    expect(await liveSessionRole({ sessionId, userId: callers.user.userId!, teamId: team.id })).toBeNull();
    await expect(removeMember(callers.admin, callers.user.userId!)).rejects.toMatchObject({ code: "not_found" });
    await expect(changeMemberRole(callers.viewer, callers.admin.userId!, { role: "viewer" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(changeMemberRole(callers.admin, callers.viewer.userId!, { role: "owner" })).rejects.toMatchObject({
      code: "bad_request",
      field: "role",
    });
  });

  it("the last admin can be neither demoted nor removed", async () => {
    const { callers } = await createTeamWithMembers();
    await expect(changeMemberRole(callers.admin, callers.admin.userId!, { role: "user" })).rejects.toMatchObject({ code: "conflict" });
    await expect(removeMember(callers.admin, callers.admin.userId!)).rejects.toMatchObject({ code: "conflict" });
    expect((await listMembers(callers.admin)).filter((member) => member.role === "admin")).toHaveLength(1);
  });

  it("two admins demoting each other at the same moment leave one admin, not zero", async () => {
    for (let round = 0; round < 5; round++) {
      const { team, callers } = await createTeamWithMembers();
      const second = await addAdmin(team.id, `second-admin-${round}-${team.id}@test.dev`);
      const results = await Promise.allSettled([
        changeMemberRole(callers.admin, second.userId, { role: "user" }),
        changeMemberRole(second, callers.admin.userId!, { role: "user" }),
      ]);
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      expect(results.find((result) => result.status === "rejected")).toMatchObject({ reason: { code: "conflict" } });
      const admins = await getDb().membership.count({ where: { teamId: team.id, role: "admin" } });
      expect(admins).toBe(1);
    }
  });

  it("two admins removing each other at the same moment leave one admin", async () => {
    for (let round = 0; round < 5; round++) {
      const { team, callers } = await createTeamWithMembers();
      const second = await addAdmin(team.id, `remover-${round}-${team.id}@test.dev`);
      await Promise.allSettled([removeMember(callers.admin, second.userId), removeMember(second, callers.admin.userId!)]);
      expect(await getDb().membership.count({ where: { teamId: team.id, role: "admin" } })).toBe(1);
    }
  });
});

describe("invitations", () => {
  it("a link shown once (only its hash stored) lets a signed-in user of another team join with its role, once", async () => {
    const { team, callers } = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    const invitation = await createInvitation(callers.admin, { role: "user" });
    expect(invitation.path).toBe(`/invite/${invitation.token}`);
    const stored = await getDb().invitation.findUniqueOrThrow({ where: { id: invitation.id } });
    expect(JSON.stringify(stored)).not.toContain(invitation.token);
    expect((await listInvitations(callers.admin)).map((pending) => pending.id)).toEqual([invitation.id]);
    expect(await describeInvitation(invitation.token)).toMatchObject({ state: "pending", teamName: team.name, role: "user" });

    const joined = await acceptInvitationByToken({ token: invitation.token }, other.callers.viewer.userId);
    expect(joined).toMatchObject({ teamId: team.id, role: "user" });
    const memberships = await getDb().membership.findMany({ where: { userId: other.callers.viewer.userId! } });
    expect(memberships.map((membership) => [membership.teamId, membership.role]).sort()).toEqual(
      [
        [other.team.id, "viewer"],
        [team.id, "user"],
      ].sort(),
    );

    expect(await describeInvitation(invitation.token)).toMatchObject({ state: "used" });
    await expect(acceptInvitationByToken({ token: invitation.token }, other.callers.user.userId)).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringMatching(/already been used/),
    });
    expect(await listInvitations(callers.admin)).toEqual([]);
  });

  it("a new person creates an account with a hashed password and joins; an existing email must sign in first", async () => {
    const { team, callers } = await createTeamWithMembers();
    const invitation = await createInvitation(callers.admin, { role: "viewer" });
    await expect(
      acceptInvitationByToken({ token: invitation.token, name: "Ada", email: "ada@example.test", password: "short" }, undefined),
    ).rejects.toMatchObject({ code: "bad_request", field: "password" });
    const existing = await getDb().user.findUniqueOrThrow({ where: { id: callers.user.userId! } });
    await expect(
      acceptInvitationByToken({ token: invitation.token, name: "Dup", email: existing.email, password: "long enough 123" }, undefined),
    ).rejects.toMatchObject({ code: "conflict", field: "email" });

    const joined = await acceptInvitationByToken(
      { token: invitation.token, name: "Ada Lovelace", email: "Ada@Example.test", password: "analytical engine 1843" },
      undefined,
    );
    expect(joined).toMatchObject({ teamId: team.id, role: "viewer" });
    const user = await getDb().user.findUniqueOrThrow({ where: { email: "ada@example.test" } });
    expect(user.name).toBe("Ada Lovelace");
    expect(await verifyPassword("analytical engine 1843", user.passwordHash!)).toBe(true);
  });

  it("an expired, revoked or email-bound link refuses with a message that says why", async () => {
    const { callers } = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    const now = new Date();
    const shortLived = await createInvitation(callers.admin, { role: "user", expiresInMinutes: 5 }, now);
    const defaultLifetime = await createInvitation(callers.admin, { role: "user" }, now);
    expect(defaultLifetime.expiresAt.getTime() - now.getTime()).toBe(7 * DAY_MS);
    const later = new Date(now.getTime() + 6 * 60_000);
    expect(await describeInvitation(shortLived.token, later)).toMatchObject({ state: "expired" });
    await expect(acceptInvitationByToken({ token: shortLived.token }, other.callers.user.userId, later)).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringMatching(/expired/),
    });
    expect((await listInvitations(callers.admin, later)).map((pending) => pending.id)).toEqual([defaultLifetime.id]);

    await revokeInvitation(callers.admin, defaultLifetime.id);
    await expect(acceptInvitationByToken({ token: defaultLifetime.token }, other.callers.user.userId)).rejects.toMatchObject({
      message: expect.stringMatching(/withdrawn/),
    });
    await expect(revokeInvitation(callers.admin, defaultLifetime.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(revokeInvitation(other.callers.admin, shortLived.id)).rejects.toMatchObject({ code: "not_found" });

    const bound = await createInvitation(callers.admin, { role: "viewer", email: "only.this@test.dev" });
    await expect(acceptInvitationByToken({ token: bound.token }, other.callers.user.userId)).rejects.toMatchObject({ code: "forbidden" });
    expect(await describeInvitation("x".repeat(32))).toEqual({ state: "unknown" });
    await expect(acceptInvitationByToken({ token: "not-a-token" }, undefined)).rejects.toMatchObject({
      code: "bad_request",
      field: "token",
    });
  });

  it("two people opening one link at the same moment: one joins, the other is told it was used", async () => {
    const { team, callers } = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    const invitation = await createInvitation(callers.admin, { role: "user" });
    const results = await Promise.allSettled([
      acceptInvitationByToken({ token: invitation.token }, other.callers.user.userId),
      acceptInvitationByToken({ token: invitation.token }, other.callers.viewer.userId),
      acceptInvitationByToken({ token: invitation.token, email: "racer@test.dev", password: "long enough 123" }, undefined),
    ]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect(await getDb().membership.count({ where: { teamId: team.id } })).toBe(4);
    // The account made by a losing accept is rolled back with it.
    const racer = await getDb().user.findUnique({ where: { email: "racer@test.dev" }, include: { memberships: true } });
    if (racer) expect(racer.memberships).toHaveLength(1);
  });

  it("the public accept route creates the account for a visitor and refuses an API key", async () => {
    const { callers } = await createTeamWithMembers();
    const invitation = await createInvitation(callers.admin, { role: "user" });
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${api.baseURL}/api/v1/invitations/accept`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    expect((await post({ token: invitation.token }, { authorization: "Bearer chorus_abcdefgh_" + "x".repeat(32) })).status).toBe(400);
    const created = await post({ token: invitation.token, name: "Grace", email: "grace@test.dev", password: "compiler 1952!" });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ teamId: callers.admin.teamId, role: "user" });
    const again = await post({ token: invitation.token, email: "other@test.dev", password: "compiler 1952!" });
    expect(again.status).toBe(409);
    expect((await again.json()).error.message).toMatch(/already been used/);
  });
});

describe("team switching", () => {
  it("re-issues the session cookie for another of the user's teams; the next request works in that team", async () => {
    const first = await createTeamWithMembers();
    const second = await createTeamWithMembers();
    const userId = first.callers.user.userId!;
    await getDb().membership.create({ data: { teamId: second.team.id, userId, role: "viewer" } });
    const { cookie } = await sessionCookie({ userId, teamId: first.team.id });
    const request = (method: string, path: string, session: string, body?: unknown) =>
      fetch(`${api.baseURL}${path}`, {
        method,
        headers: { cookie: session, origin: api.baseURL, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    const teams = await (await request("GET", "/api/v1/teams", cookie)).json();
    expect(teams.map((team: { id: string; current: boolean; role: string }) => [team.id, team.current, team.role]).sort()).toEqual(
      [
        [first.team.id, true, "user"],
        [second.team.id, false, "viewer"],
      ].sort(),
    );

    const refused = await request("PUT", "/api/v1/session/team", cookie, { teamId: (await createTeamWithMembers()).team.id });
    expect(refused.status).toBe(404);
    expect(refused.headers.get("set-cookie")).toBeNull();

    const switched = await request("PUT", "/api/v1/session/team", cookie, { teamId: second.team.slug });
    expect(switched.status).toBe(200);
    expect(await switched.json()).toMatchObject({ id: second.team.id, role: "viewer" });
    const setCookie = switched.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^authjs\.session-token=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Expires=/);
    const newCookie = setCookie.split(";")[0]!;

    const members = await (await request("GET", "/api/v1/members", newCookie)).json();
    expect(members.map((member: { email: string }) => member.email)).toContain(
      (await getDb().user.findUniqueOrThrow({ where: { id: second.callers.admin.userId! } })).email,
    );
    // The viewer role of the new team applies: a write is refused.
    expect((await request("POST", "/api/v1/invitations", newCookie, { role: "viewer" })).status).toBe(403);
    // Removed from the team switched to, the session stops working there at once.
    await getDb().membership.delete({ where: { teamId_userId: { teamId: second.team.id, userId } } });
    expect((await request("GET", "/api/v1/members", newCookie)).status).toBe(401);
  });
});

describe("API keys from the dashboard", () => {
  it("creates a key shown once with an optional lifetime, lists it without the secret, and revokes it", async () => {
    const { callers } = await createTeamWithMembers();
    const created = await createTeamApiKey(callers.admin, { name: "CI", role: "user", expiresIn: "30d" });
    expect(created.key).toMatch(/^chorus_[a-z0-9]{8}_/);
    expect(created.expiresAt!.getTime() - Date.now()).toBeGreaterThan(29 * DAY_MS);
    expect(await authenticateApiKey(created.key)).toMatchObject({ teamId: callers.admin.teamId, role: "user" });

    const listed = await listTeamApiKeys(callers.admin);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ name: "CI", prefix: created.prefix, role: "user", revokedAt: null });
    expect(listed[0]!.createdBy).toMatch(/^admin-.*@test\.dev$/);
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(listed[0]).not.toHaveProperty("hash");

    expect((await revokeTeamApiKey(callers.admin, created.id)).revokedAt).toBeInstanceOf(Date);
    await expect(authenticateApiKey(created.key)).rejects.toMatchObject({ code: "unauthorized" });
    await expect(revokeTeamApiKey(callers.admin, "missing")).rejects.toMatchObject({ code: "not_found" });
  });

  it("refuses a bad lifetime, non-admins, and a role above the creator's", async () => {
    const { callers } = await createTeamWithMembers();
    await expect(createTeamApiKey(callers.admin, { name: "x", role: "user", expiresIn: "soon" })).rejects.toMatchObject({
      code: "bad_request",
      field: "expiresIn",
    });
    await expect(createTeamApiKey(callers.user, { name: "x", role: "user" })).rejects.toMatchObject({ code: "forbidden" });
    // Only admins hold "manage" today, so the cap is the permissions table's: a role grants nothing its creator's does not.
    expect(roleWithin("admin", "user")).toBe(false);
    expect(roleWithin("user", "admin")).toBe(true);
    expect(roleWithin("viewer", "user")).toBe(true);
  });
});

describe("who may sign in through an identity provider", () => {
  it("a verified email with an account or a pending invitation, nobody else; invitations are accepted at sign-in", async () => {
    const { team, callers } = await createTeamWithMembers();
    const member = await getDb().user.findUniqueOrThrow({ where: { id: callers.user.userId! } });
    expect(await allowExternalSignIn(member.email)).toBe(true);
    expect(await allowExternalSignIn("stranger@test.dev")).toBe(false);
    expect(await allowExternalSignIn(undefined)).toBe(false);

    await createInvitation(callers.admin, { role: "viewer", email: "newcomer@test.dev" });
    expect(await allowExternalSignIn("newcomer@test.dev")).toBe(true);
    const newcomer = await getDb().user.create({ data: { email: "newcomer@test.dev" } });
    expect(await teamForExternalSignIn(newcomer.id, "newcomer@test.dev")).toEqual({ teamId: team.id, role: "viewer" });
    expect(await getDb().invitation.count({ where: { teamId: team.id, acceptedById: newcomer.id } })).toBe(1);
    expect(await teamForExternalSignIn(member.id, member.email)).toEqual({ teamId: team.id, role: "user" });
  });
});

describe("the audit log of member changes", () => {
  it("records invitations, joins (also at provider sign-in), role changes, removals and dashboard keys — never a token or key", async () => {
    const { team, callers } = await createTeamWithMembers();
    const invitation = await createInvitation(callers.admin, { role: "viewer" });
    const joined = await acceptInvitationByToken(
      { token: invitation.token, email: "audit-joiner@test.dev", name: "Joiner", password: "a-long-password-1" },
      undefined,
    );
    const revoked = await createInvitation(callers.admin, { role: "user", email: "audit-provider@test.dev" });
    await revokeInvitation(callers.admin, revoked.id);
    const bound = await createInvitation(callers.admin, { role: "user", email: "audit-provider@test.dev" });
    const providerUser = await getDb().user.create({ data: { email: "audit-provider@test.dev" } });
    await teamForExternalSignIn(providerUser.id, "audit-provider@test.dev");
    await changeMemberRole(callers.admin, joined.userId, { role: "user" });
    await removeMember(callers.admin, joined.userId);
    const key = await createTeamApiKey(callers.admin, { name: "audited", role: "viewer", expiresIn: "30d" });
    await revokeTeamApiKey(callers.admin, key.id);

    const rows = await getDb().auditEvent.findMany({ where: { teamId: team.id }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    expect(rows.map((row) => [row.action, row.targetId])).toEqual([
      ["member.invited", invitation.id],
      ["member.joined", joined.userId],
      ["member.invited", revoked.id],
      ["member.invitation_revoked", revoked.id],
      ["member.invited", bound.id],
      ["member.joined", providerUser.id],
      ["member.role_changed", joined.userId],
      ["member.removed", joined.userId],
      ["api_key.created", key.id],
      ["api_key.revoked", key.id],
    ]);
    expect(rows[6]!.details).toEqual({ from: "viewer", to: "user" });
    expect(rows[5]!.details).toMatchObject({ via: "sign-in", role: "user" });
    const stored = JSON.stringify(rows);
    for (const secret of [invitation.token, revoked.token, bound.token, key.key]) expect(stored).not.toContain(secret);
  });
});
