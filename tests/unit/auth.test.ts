import { describe, expect, it } from "vitest";
import { generateApiKey, hashApiKey } from "@/server/auth/api-keys";
import { parseApiKeyLifetime } from "@/server/auth/api-key-lifetime";
import { can, rolePermissions } from "@/server/auth/permissions";
import { requirePermission } from "@/server/auth/caller";
import { decoyPasswordHash, hashPassword, needsRehash, verifyPassword } from "@/server/auth/password";
import { AppError } from "@/server/errors";

describe("roles", () => {
  it("admins do everything, users execute but do not manage, viewers only read", () => {
    expect(rolePermissions.admin).toEqual(expect.arrayContaining(["read", "write", "execute", "delete", "manage"]));
    expect(can("user", "execute")).toBe(true);
    expect(can("user", "manage")).toBe(false);
    expect(can("user", "delete")).toBe(false);
    expect(can("viewer", "read")).toBe(true);
    expect(can("viewer", "execute")).toBe(false);
  });

  it("a forbidden call is an AppError naming the permission", () => {
    expect(() => requirePermission({ teamId: "t", role: "viewer" }, "execute")).toThrow(AppError);
    expect(() => requirePermission({ teamId: "t", role: "viewer" }, "execute")).toThrow(/execute/);
  });
});

describe("passwords", () => {
  it("are stored as salted scrypt hashes that verify only the right password", async () => {
    const hash = await hashPassword("correct horse battery");
    expect(hash).not.toContain("correct");
    expect(hash).not.toBe(await hashPassword("correct horse battery"));
    expect(await verifyPassword("correct horse battery", hash)).toBe(true);
    expect(await verifyPassword("correct horse batterY", hash)).toBe(false);
    expect(await verifyPassword("anything", "garbage")).toBe(false);
  });

  it("use OWASP's scrypt cost, verify hashes made at the old cost, and ask for those to be rehashed", async () => {
    const hash = await hashPassword("correct horse battery");
    expect(hash.split("$").slice(0, 4)).toEqual(["scrypt", "131072", "8", "1"]);
    expect(needsRehash(hash)).toBe(false);
    expect(decoyPasswordHash.split("$").slice(0, 4)).toEqual(["scrypt", "131072", "8", "1"]);
    // Made by the previous release (N=2^14) for "correct horse battery".
    const old =
      "scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA$" +
      (await import("node:crypto"))
        .scryptSync("correct horse battery", Buffer.from("c2FsdHNhbHRzYWx0c2FsdA", "base64url"), 32, { N: 16384, r: 8, p: 1 })
        .toString("base64url");
    expect(await verifyPassword("correct horse battery", old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    // A stored hash asking for absurd work is refused, not computed.
    expect(await verifyPassword("x", "scrypt$1073741824$8$1$AAAA$AAAA")).toBe(false);
  });
});

describe("API keys", () => {
  it("are random, prefixed, and stored only as their hash", () => {
    const first = generateApiKey();
    const second = generateApiKey();
    expect(first.key).toMatch(/^chorus_[a-z0-9]{8}_[A-Za-z0-9_-]{32}$/);
    expect(first.key).not.toBe(second.key);
    expect(first.hash).toBe(hashApiKey(first.key));
    // The secret is everything after the prefix (base64url: it may itself contain "_").
    expect(first.hash).not.toContain(first.key.slice(`chorus_${first.prefix}_`.length));
    expect(first.key.startsWith(`chorus_${first.prefix}_`)).toBe(true);
  });

  it("last a whole number of days or hours when given a lifetime, up to ten years, and nothing else parses", () => {
    const hour = 3_600_000;
    expect(parseApiKeyLifetime("90d")).toBe(90 * 24 * hour);
    expect(parseApiKeyLifetime("12h")).toBe(12 * hour);
    expect(parseApiKeyLifetime("1h")).toBe(hour);
    expect(parseApiKeyLifetime("3650d")).toBe(3650 * 24 * hour);
    expect(parseApiKeyLifetime("87600h")).toBe(3650 * 24 * hour);
    for (const bad of [
      "",
      "90",
      "d",
      "0d",
      "0h",
      "-1d",
      "01d",
      "1.5d",
      "90D",
      "90 d",
      " 90d",
      "90d ",
      "90days",
      "30m",
      "2w",
      "3651d",
      "87601h",
      "99999999d",
      "1e3d",
    ]) {
      expect(parseApiKeyLifetime(bad), bad).toBeUndefined();
    }
  });
});
