import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { authenticateApiKey } from "@/server/auth/api-keys";
import { getDb } from "@/server/db/client";
import { verifyPassword } from "@/server/auth/password";

function chorus(...args: string[]) {
  const result = spawnSync("node", ["bin/chorus.mjs", ...args], { env: { ...process.env, LOG_LEVEL: "warn" }, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the chorus admin CLI", () => {
  it("creates a team, a user and an API key that authenticates with its role", async () => {
    expect(chorus("team", "create", "cli-team", "--name", "CLI Team")).toMatchObject({ code: 0 });
    const user = chorus("user", "create", "--email", "Ada@CLI.test", "--password", "a-long-password", "--team", "cli-team", "--role", "user");
    expect(user.code).toBe(0);
    const key = chorus("key", "create", "--team", "cli-team", "--role", "viewer", "--name", "reporting");
    expect(key.code).toBe(0);
    const printed = key.stdout.trim().split("\n").at(-1)!;
    expect(printed).toMatch(/^chorus_/);

    const db = getDb();
    const team = await db.team.findUniqueOrThrow({ where: { slug: "cli-team" } });
    expect(await authenticateApiKey(printed)).toMatchObject({ teamId: team.id, role: "viewer" });
    const stored = await db.apiKey.findFirstOrThrow({ where: { teamId: team.id } });
    expect(stored.hash).not.toContain(printed);
    const member = await db.user.findUniqueOrThrow({ where: { email: "ada@cli.test" }, include: { memberships: true } });
    expect(member.memberships[0]).toMatchObject({ teamId: team.id, role: "user" });
    expect(await verifyPassword("a-long-password", member.passwordHash!)).toBe(true);
  });

  it("explains mistakes: usage errors exit 2, rejected input exits 1 naming the problem", () => {
    const unknown = chorus("team", "explode");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Usage");
    const missing = chorus("key", "create", "--team", "cli-team");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--role is required");
    const badRole = chorus("key", "create", "--team", "cli-team", "--role", "owner");
    expect(badRole.stderr).toContain("--role must be one of admin, user, viewer");
    expect(chorus("team", "create", "cli-team").stderr).toContain("already exists");
    expect(chorus("team", "create", "Bad Slug!").code).toBe(1);
    expect(chorus("key", "create", "--team", "nope", "--role", "user").stderr).toContain('No team with slug "nope"');
    expect(chorus("user", "create", "--email", "x@example.com", "--password", "short", "--team", "cli-team", "--role", "user").stderr).toContain("password must be at least 8");
  });
});
