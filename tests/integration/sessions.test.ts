import { describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { deleteSession, insertSession, liveSessionRole } from "@/server/db/queries/sessions";
import { changePassword } from "@/server/teams/teams";
import { verifyPassword } from "@/server/auth/password";
import { createTeamWithMembers } from "../support/fixtures";

/** A browser session is good only while its row lives: sign-out, expiry and a password change end it. */
describe("browser sessions", () => {
  it("a live session of a member resolves to the member's current role", async () => {
    const { team, callers } = await createTeamWithMembers();
    const userId = callers.user.userId!;
    await insertSession({ sessionId: "s-live", userId, expires: new Date(Date.now() + 60_000) });
    expect(await liveSessionRole({ sessionId: "s-live", userId, teamId: team.id })).toBe("user");

    await getDb().membership.update({ where: { teamId_userId: { teamId: team.id, userId } }, data: { role: "viewer" } });
    expect(await liveSessionRole({ sessionId: "s-live", userId, teamId: team.id })).toBe("viewer");

    await getDb().membership.delete({ where: { teamId_userId: { teamId: team.id, userId } } });
    expect(await liveSessionRole({ sessionId: "s-live", userId, teamId: team.id })).toBeNull();
  });

  it("signing out ends that session only; another user's session id does not fit", async () => {
    const { team, callers } = await createTeamWithMembers();
    const userId = callers.admin.userId!;
    await insertSession({ sessionId: "s-laptop", userId, expires: new Date(Date.now() + 60_000) });
    await insertSession({ sessionId: "s-phone", userId, expires: new Date(Date.now() + 60_000) });
    await deleteSession("s-laptop");
    expect(await liveSessionRole({ sessionId: "s-laptop", userId, teamId: team.id })).toBeNull();
    expect(await liveSessionRole({ sessionId: "s-phone", userId, teamId: team.id })).toBe("admin");
    expect(await liveSessionRole({ sessionId: "s-phone", userId: callers.viewer.userId!, teamId: team.id })).toBeNull();
  });

  it("an expired session is refused, and pruned at the user's next sign-in", async () => {
    const { team, callers } = await createTeamWithMembers();
    const userId = callers.user.userId!;
    await insertSession({ sessionId: "s-old", userId, expires: new Date(Date.now() - 1000) });
    expect(await liveSessionRole({ sessionId: "s-old", userId, teamId: team.id })).toBeNull();
    await insertSession({ sessionId: "s-new", userId, expires: new Date(Date.now() + 60_000) });
    expect((await getDb().session.findMany({ where: { userId } })).map((row) => row.sessionToken)).toEqual(["s-new"]);
  });

  it("a password change sets the new password and ends every session of the user", async () => {
    const { team, callers } = await createTeamWithMembers();
    const userId = callers.user.userId!;
    const { email } = await getDb().user.findUniqueOrThrow({ where: { id: userId } });
    for (const sessionId of ["s-a", "s-b"]) await insertSession({ sessionId, userId, expires: new Date(Date.now() + 60_000) });
    await insertSession({ sessionId: "s-other", userId: callers.admin.userId!, expires: new Date(Date.now() + 60_000) });

    expect(await changePassword({ email, password: "a new password 42" })).toEqual({ email, endedSessions: 2 });
    expect(await liveSessionRole({ sessionId: "s-a", userId, teamId: team.id })).toBeNull();
    expect(await liveSessionRole({ sessionId: "s-other", userId: callers.admin.userId!, teamId: team.id })).toBe("admin");
    const { passwordHash } = await getDb().user.findUniqueOrThrow({ where: { id: userId } });
    expect(await verifyPassword("a new password 42", passwordHash!)).toBe(true);

    await expect(changePassword({ email, password: "short" })).rejects.toMatchObject({ code: "bad_request", field: "password" });
    await expect(changePassword({ email: "nobody@test.dev", password: "long enough 123" })).rejects.toMatchObject({
      code: "not_found",
      field: "email",
    });
  });
});
