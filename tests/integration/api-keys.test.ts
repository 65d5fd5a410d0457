import { describe, expect, it, vi } from "vitest";
import { getDb } from "@/server/db/client";
import { authenticateApiKey, createApiKey, revokeApiKey, VERIFIED_KEY_TTL_MS } from "@/server/auth/api-keys";
import { createTeamWithMembers } from "../support/fixtures";

describe("API key authentication", () => {
  it("resolves a key to its team and role, and refuses unknown or malformed keys", async () => {
    const { team } = await createTeamWithMembers();
    const { key, record } = await createApiKey({ teamId: team.id, role: "viewer", name: "ci" });
    expect(await authenticateApiKey(key)).toEqual({ apiKeyId: record.id, teamId: team.id, role: "viewer" });
    const caller = await authenticateApiKey(key);
    // A caller is the caller's own copy: changing it cannot change the next request's role.
    caller.role = "admin";
    expect((await authenticateApiKey(key)).role).toBe("viewer");

    await expect(authenticateApiKey(`${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`)).rejects.toMatchObject({ code: "unauthorized" });
    await expect(authenticateApiKey("not-a-key")).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("stamps last use without a write per request", async () => {
    const { team } = await createTeamWithMembers();
    const { key, record } = await createApiKey({ teamId: team.id, role: "user", name: "stamp" });
    await authenticateApiKey(key);
    await expect.poll(async () => (await getDb().apiKey.findUniqueOrThrow({ where: { id: record.id } })).lastUsedAt).not.toBeNull();
    const stamped = (await getDb().apiKey.findUniqueOrThrow({ where: { id: record.id } })).lastUsedAt!;
    expect(Math.abs(stamped.getTime() - Date.now())).toBeLessThan(5_000);
    await authenticateApiKey(key);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await getDb().apiKey.findUniqueOrThrow({ where: { id: record.id } })).lastUsedAt).toEqual(stamped);
  });

  it("refuses a revoked key at once in this process, and within seconds when revoked elsewhere", async () => {
    const { team } = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    const first = await createApiKey({ teamId: team.id, role: "admin", name: "first" });
    await authenticateApiKey(first.key);
    expect(await revokeApiKey(other.team.id, first.record.id)).toBe(false); // another team cannot revoke it
    expect((await authenticateApiKey(first.key)).teamId).toBe(team.id);
    expect(await revokeApiKey(team.id, first.record.id)).toBe(true);
    await expect(authenticateApiKey(first.key)).rejects.toMatchObject({ code: "unauthorized" });

    // Revoked by another process (here: straight in the database): refused once the short cache lapses.
    const second = await createApiKey({ teamId: team.id, role: "admin", name: "second" });
    await authenticateApiKey(second.key);
    await getDb().apiKey.update({ where: { id: second.record.id }, data: { revokedAt: new Date() } });
    await new Promise((resolve) => setTimeout(resolve, VERIFIED_KEY_TTL_MS + 50));
    await expect(authenticateApiKey(second.key)).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("accepts a key with an expiry until that instant and refuses it from then on, saying it expired", async () => {
    const { team } = await createTeamWithMembers();
    const expiresAt = new Date(Date.now() + 60_000);
    const { key, record } = await createApiKey({ teamId: team.id, role: "user", name: "expiring", expiresAt });
    expect(record.expiresAt).toEqual(expiresAt);
    let clock = Date.now();
    vi.spyOn(Date, "now").mockImplementation(() => clock);
    try {
      expect(await authenticateApiKey(key)).toEqual({ apiKeyId: record.id, teamId: team.id, role: "user" });
      // Past the verified-key cache's lifetime, so this answer comes from the database, not from memory.
      clock = expiresAt.getTime() - 1;
      expect((await authenticateApiKey(key)).apiKeyId).toBe(record.id);
      clock = expiresAt.getTime();
      await expect(authenticateApiKey(key)).rejects.toMatchObject({
        code: "unauthorized",
        message: `API key expired at ${expiresAt.toISOString()}`,
      });
      clock += VERIFIED_KEY_TTL_MS;
      await expect(authenticateApiKey(key)).rejects.toMatchObject({ code: "unauthorized", message: expect.stringMatching(/expired/) });
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("does not keep accepting an expired key because it verified it a moment before its expiry", async () => {
    const { team } = await createTeamWithMembers();
    const expiresAt = new Date(Date.now() + 60_000);
    const { key } = await createApiKey({ teamId: team.id, role: "admin", name: "remembered", expiresAt });
    let clock = expiresAt.getTime() - 1_000;
    vi.spyOn(Date, "now").mockImplementation(() => clock);
    try {
      await authenticateApiKey(key); // verified and remembered for VERIFIED_KEY_TTL_MS
      clock = expiresAt.getTime();
      expect(clock - (expiresAt.getTime() - 1_000)).toBeLessThan(VERIFIED_KEY_TTL_MS); // still remembered
      await expect(authenticateApiKey(key)).rejects.toMatchObject({
        code: "unauthorized",
        message: expect.stringMatching(/^API key expired at /),
      });
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("refuses a key created with an expiry already past, and keeps a key without one working", async () => {
    const { team } = await createTeamWithMembers();
    const past = await createApiKey({ teamId: team.id, role: "admin", name: "past", expiresAt: new Date(Date.now() - 1_000) });
    await expect(authenticateApiKey(past.key)).rejects.toMatchObject({ code: "unauthorized", message: expect.stringMatching(/expired/) });
    const lasting = await createApiKey({ teamId: team.id, role: "viewer", name: "lasting" });
    expect(lasting.record.expiresAt).toBeNull();
    const tenYears = 10 * 365 * 24 * 60 * 60 * 1000;
    const now = Date.now();
    vi.spyOn(Date, "now").mockImplementation(() => now + tenYears);
    try {
      expect((await authenticateApiKey(lasting.key)).apiKeyId).toBe(lasting.record.id);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("says a revoked key is invalid, not expired, when it is both", async () => {
    const { team } = await createTeamWithMembers();
    const { key, record } = await createApiKey({ teamId: team.id, role: "user", name: "both", expiresAt: new Date(Date.now() - 1_000) });
    await revokeApiKey(team.id, record.id);
    await expect(authenticateApiKey(key)).rejects.toMatchObject({ code: "unauthorized", message: "Invalid API key" });
  });
});
