import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifyPassword } from "@/server/auth/password";
import { getDb } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { createTeam, createUserInTeam } from "@/server/teams/teams";

const suffix = () => randomBytes(3).toString("hex");

function split<T>(results: PromiseSettledResult<T>[]) {
  const won = results.flatMap((result, index) => (result.status === "fulfilled" ? [{ index, value: result.value }] : []));
  const lost = results.flatMap((result) => (result.status === "rejected" ? [result.reason as unknown] : []));
  return { won, lost };
}

/** What a sequential duplicate gets: the race's losers must get the very same error. */
async function sequentialError(run: () => Promise<unknown>) {
  await run();
  const error = await run().then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AppError);
  return { code: (error as AppError).code, field: (error as AppError).field, message: (error as AppError).message };
}

function expectConflicts(lost: unknown[], expected: { code: string; field?: string; message: string }) {
  for (const reason of lost) {
    expect(reason).toBeInstanceOf(AppError);
    expect(reason).toMatchObject(expected);
  }
}

async function membershipsOf(email: string) {
  const users = await getDb().user.findMany({ where: { email }, include: { memberships: true } });
  expect(users).toHaveLength(1);
  return users[0]!;
}

// Several rounds each: a round can happen to run the calls one after the other, which takes
// the existence check's path rather than the unique constraint's.
const ROUNDS = 4;
const AT_ONCE = 6;

describe("creating the same team at the same time", () => {
  it("one create wins; every other is a 409 conflict on slug, as a sequential duplicate is", async () => {
    const expected = await sequentialError(() => createTeam({ slug: "seq-team" }));
    expect(expected).toEqual({ code: "conflict", field: "slug", message: 'Team "seq-team" already exists' });
    for (let round = 0; round < ROUNDS; round++) {
      const slug = `race-${suffix()}`;
      const { won, lost } = split(await Promise.allSettled(Array.from({ length: AT_ONCE }, () => createTeam({ slug, name: "Racers" }))));
      expect(won).toHaveLength(1);
      expect(won[0]!.value).toMatchObject({ slug, name: "Racers" });
      expect(lost).toHaveLength(AT_ONCE - 1);
      expectConflicts(lost, { code: "conflict", field: "slug", message: `Team "${slug}" already exists` });
      expect(await getDb().team.count({ where: { slug } })).toBe(1);
    }
  });
});

describe("creating the same user in a team at the same time", () => {
  it("a new email: one create wins; the others are 409 conflicts on email, and nothing else is written", async () => {
    const team = await createTeam({ slug: `users-${suffix()}` });
    const sequential = `seq-${suffix()}@test.dev`;
    const expected = await sequentialError(() =>
      createUserInTeam({ email: sequential, password: "password-1", teamId: team.id, role: "user" }),
    );
    expect(expected).toEqual({ code: "conflict", field: "email", message: `${sequential} is already a member of this team` });
    for (let round = 0; round < ROUNDS; round++) {
      const email = `new-${suffix()}@test.dev`;
      const passwords = Array.from({ length: AT_ONCE }, (_, index) => `password-${index}`);
      const { won, lost } = split(
        await Promise.allSettled(
          passwords.map((password) =>
            createUserInTeam({ email: email.toUpperCase(), password, teamId: team.id, role: "user", name: "Racer" }),
          ),
        ),
      );
      expect(won).toHaveLength(1);
      expect(won[0]!.value).toMatchObject({ email, name: "Racer" });
      expect(won[0]!.value).not.toHaveProperty("passwordHash");
      expect(lost).toHaveLength(AT_ONCE - 1);
      expectConflicts(lost, { ...expected, message: `${email} is already a member of this team` });
      const user = await membershipsOf(email);
      expect(user.memberships.map((membership) => [membership.teamId, membership.role])).toEqual([[team.id, "user"]]);
      expect(await verifyPassword(passwords[won[0]!.index]!, user.passwordHash!)).toBe(true);
    }
    // No user without a membership was left behind by a lost race.
    expect(await getDb().user.count({ where: { memberships: { none: {} } } })).toBe(0);
  });

  it("an existing user joining another team: one join wins; the others are conflicts and change nothing", async () => {
    const home = await createTeam({ slug: `home-${suffix()}` });
    for (let round = 0; round < ROUNDS; round++) {
      const email = `member-${suffix()}@test.dev`;
      await createUserInTeam({ email, password: "home-password", teamId: home.id, role: "admin", name: "Member" });
      const other = await createTeam({ slug: `other-${suffix()}` });
      const passwords = Array.from({ length: AT_ONCE }, (_, index) => `joining-${index}`);
      const { won, lost } = split(
        await Promise.allSettled(passwords.map((password) => createUserInTeam({ email, password, teamId: other.id, role: "viewer" }))),
      );
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(AT_ONCE - 1);
      expectConflicts(lost, { code: "conflict", field: "email", message: `${email} is already a member of this team` });
      const user = await membershipsOf(email);
      expect(user.name).toBe("Member");
      expect(user.memberships.map((membership) => [membership.teamId, membership.role]).sort()).toEqual(
        [
          [home.id, "admin"],
          [other.id, "viewer"],
        ].sort(),
      );
      // Joining a team never changes the password the user signs in with elsewhere.
      expect(await verifyPassword("home-password", user.passwordHash!)).toBe(true);
      expect(won[0]!.value).toMatchObject({ created: false });
    }
  });

  it("a new email in several teams at once: every call succeeds, with one user in all the teams, as sequentially", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const teams = await Promise.all(Array.from({ length: AT_ONCE }, () => createTeam({ slug: `many-${suffix()}` })));
      const email = `everywhere-${suffix()}@test.dev`;
      const { won, lost } = split(
        await Promise.allSettled(
          teams.map((team) => createUserInTeam({ email, password: "same-password", teamId: team.id, role: "user" })),
        ),
      );
      expect(lost).toEqual([]);
      expect(won).toHaveLength(AT_ONCE);
      const user = await membershipsOf(email);
      expect(new Set(won.map(({ value }) => value.id))).toEqual(new Set([user.id]));
      expect(user.memberships.map((membership) => membership.teamId).sort()).toEqual(teams.map((team) => team.id).sort());
    }
  });
});
