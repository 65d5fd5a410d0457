import { describe, expect, it } from "vitest";
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
});
