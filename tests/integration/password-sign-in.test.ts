import { randomBytes, scryptSync } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { authenticateWithPassword } from "@/server/auth/password-sign-in";
import { decoyPasswordHash, hashPassword, verifyPassword } from "@/server/auth/password";
import { ACCOUNT_LIMIT } from "@/server/auth/sign-in-throttle";
import { getDb } from "@/server/db/client";
import { createTeamWithMembers } from "../support/fixtures";

// The real password functions, watched: which hash a sign-in verified against, and a hook into the rehash.
vi.mock("@/server/auth/password", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/server/auth/password")>();
  return { ...actual, verifyPassword: vi.fn(actual.verifyPassword), hashPassword: vi.fn(actual.hashPassword) };
});

const actualPassword = await vi.importActual<typeof import("@/server/auth/password")>("@/server/auth/password");
const PASSWORD = "correct horse battery";
/** The client's address for most sign-ins here (this file stays far below the per-address limit). */
const ADDRESS = "198.51.100.7";

/** A hash of `password` as the previous release stored it: scrypt at N=2^14. */
function hashAtOldCost(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize("NFKC"), salt, 32, { N: 2 ** 14, r: 8, p: 1 });
  return ["scrypt", 2 ** 14, 8, 1, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** A member (role user) of a fresh team, whose password hash is `passwordHash`. */
async function member(passwordHash: string) {
  const { team, callers } = await createTeamWithMembers();
  const user = await getDb().user.update({ where: { id: callers.user.userId! }, data: { passwordHash } });
  return { team, user };
}

const storedHash = async (userId: string) => (await getDb().user.findUniqueOrThrow({ where: { id: userId } })).passwordHash!;

afterEach(() => vi.clearAllMocks());

describe("signing in with a password", () => {
  it("signs in a member whose hash is at the old cost, and stores an N=2^17 hash of the same password", async () => {
    const oldHash = hashAtOldCost(PASSWORD);
    const { team, user } = await member(oldHash);

    const result = await authenticateWithPassword({ email: user.email.toUpperCase(), password: PASSWORD, address: ADDRESS });
    expect(result).toEqual({ outcome: "signed-in", user: { id: user.id, email: user.email, name: null, teamId: team.id, role: "user" } });

    const rehashed = await storedHash(user.id);
    expect(rehashed).not.toBe(oldHash);
    expect(rehashed.split("$").slice(0, 4)).toEqual(["scrypt", "131072", "8", "1"]);
    expect(await verifyPassword(PASSWORD, rehashed)).toBe(true);
    expect(await verifyPassword("another password", rehashed)).toBe(false);

    // At the current cost already: the next sign-in leaves the hash alone.
    expect((await authenticateWithPassword({ email: user.email, password: PASSWORD, address: ADDRESS })).outcome).toBe("signed-in");
    expect(await storedHash(user.id)).toBe(rehashed);
  });

  it("keeps a password changed while the sign-in was rehashing the old one", async () => {
    const { user } = await member(hashAtOldCost(PASSWORD));
    const changed = await actualPassword.hashPassword("changed meanwhile 42");
    vi.mocked(hashPassword).mockImplementationOnce(async (password) => {
      // `chorus user password` lands between the check of the old hash and the write of the new one.
      await getDb().user.update({ where: { id: user.id }, data: { passwordHash: changed } });
      return actualPassword.hashPassword(password);
    });
    expect((await authenticateWithPassword({ email: user.email, password: PASSWORD, address: ADDRESS })).outcome).toBe("signed-in");
    expect(vi.mocked(hashPassword)).toHaveBeenCalledTimes(1);
    expect(await storedHash(user.id)).toBe(changed);
  });

  it("refuses a wrong password and changes nothing, not even an old-cost hash", async () => {
    const oldHash = hashAtOldCost(PASSWORD);
    const { user } = await member(oldHash);
    expect(await authenticateWithPassword({ email: user.email, password: "correct horse batterY", address: ADDRESS })).toEqual({
      outcome: "refused",
    });
    expect(await storedHash(user.id)).toBe(oldHash);
    expect(vi.mocked(hashPassword)).not.toHaveBeenCalled();
  });

  it("checks an unknown email against the decoy hash, as it would a real one, and refuses it", async () => {
    const email = `nobody-${randomBytes(3).toString("hex")}@test.dev`;
    expect(await authenticateWithPassword({ email, password: PASSWORD, address: ADDRESS })).toEqual({ outcome: "refused" });
    expect(vi.mocked(verifyPassword).mock.calls).toEqual([[PASSWORD, decoyPasswordHash]]);

    // A known member takes the same path, with their own hash in the decoy's place.
    const { user } = await member(await hashPassword(PASSWORD));
    vi.mocked(verifyPassword).mockClear();
    await authenticateWithPassword({ email: user.email, password: "wrong password", address: ADDRESS });
    expect(vi.mocked(verifyPassword).mock.calls).toEqual([["wrong password", await storedHash(user.id)]]);
  });

  it(`refuses an account after ${ACCOUNT_LIMIT} failures without checking the password, even the right one`, async () => {
    const oldHash = hashAtOldCost(PASSWORD);
    const { user } = await member(oldHash);
    // From several addresses: the account's own count is what stops a distributed guess.
    for (let attempt = 0; attempt < ACCOUNT_LIMIT; attempt++) {
      const result = await authenticateWithPassword({ email: user.email, password: `guess ${attempt}`, address: `203.0.113.${attempt}` });
      expect(result).toEqual({ outcome: "refused" });
    }
    vi.mocked(verifyPassword).mockClear();
    const refused = await authenticateWithPassword({ email: user.email, password: PASSWORD, address: "203.0.113.99" });
    expect(refused).toMatchObject({ outcome: "throttled" });
    expect(refused.outcome === "throttled" && refused.retryAfterMs).toBeGreaterThan(0);
    expect(vi.mocked(verifyPassword)).not.toHaveBeenCalled();
    expect(await storedHash(user.id)).toBe(oldHash);
  });

  it("refuses a member's right password when they belong to no team, and input that is no email and password", async () => {
    const { team, user } = await member(await hashPassword(PASSWORD));
    await getDb().membership.deleteMany({ where: { teamId: team.id, userId: user.id } });
    expect(await authenticateWithPassword({ email: user.email, password: PASSWORD, address: ADDRESS })).toEqual({ outcome: "refused" });
    for (const input of [
      { email: "not an email", password: PASSWORD },
      { email: user.email, password: "" },
      { email: user.email, password: 42 },
      { email: undefined, password: undefined },
    ]) {
      expect(await authenticateWithPassword({ ...input, address: ADDRESS })).toEqual({ outcome: "refused" });
    }
  });
});
