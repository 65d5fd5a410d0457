import { spawnSync } from "node:child_process";
import { describe, expect, it, vi } from "vitest";
import { authenticateApiKey, createApiKey, VERIFIED_KEY_TTL_MS } from "@/server/auth/api-keys";
import { getDb } from "@/server/db/client";
import { verifyPassword } from "@/server/auth/password";
import { teamRateLimits } from "@/server/rate-limit";
import { createTeamWithMembers } from "../support/fixtures";

function chorus(...args: string[]) {
  return chorusWithInput("", ...args);
}

function chorusWithInput(input: string, ...args: string[]) {
  const result = spawnSync("node", ["bin/chorus.mjs", ...args], { env: { ...process.env, LOG_LEVEL: "warn" }, encoding: "utf8", input });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the chorus admin CLI", () => {
  it("creates a team, a user and an API key that authenticates with its role", async () => {
    expect(chorus("team", "create", "cli-team", "--name", "CLI Team")).toMatchObject({ code: 0 });
    const user = chorus(
      "user",
      "create",
      "--email",
      "Ada@CLI.test",
      "--password",
      "a-long-password",
      "--team",
      "cli-team",
      "--role",
      "user",
    );
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

  it("reads a user's password from stdin, so it never shows in the process list", async () => {
    expect(chorus("team", "create", "stdin-team")).toMatchObject({ code: 0 });
    const created = chorusWithInput(
      "from-stdin-password\n",
      "user",
      "create",
      "--email",
      "grace@cli.test",
      "--password-stdin",
      "--team",
      "stdin-team",
      "--role",
      "viewer",
    );
    expect(created).toMatchObject({ code: 0 });
    const user = await getDb().user.findUniqueOrThrow({ where: { email: "grace@cli.test" } });
    expect(await verifyPassword("from-stdin-password", user.passwordHash!)).toBe(true);

    const both = chorusWithInput(
      "x\n",
      "user",
      "create",
      "--email",
      "h@cli.test",
      "--password",
      "p",
      "--password-stdin",
      "--team",
      "stdin-team",
      "--role",
      "viewer",
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("not both");
    const empty = chorusWithInput(
      "",
      "user",
      "create",
      "--email",
      "h@cli.test",
      "--password-stdin",
      "--team",
      "stdin-team",
      "--role",
      "viewer",
    );
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("stdin held no password");
  });

  it("changes a user's password from stdin and signs them out everywhere", async () => {
    expect(chorus("team", "create", "password-team")).toMatchObject({ code: 0 });
    expect(
      chorusWithInput(
        "first-password-1\n",
        "user",
        "create",
        "--email",
        "lin@cli.test",
        "--password-stdin",
        "--team",
        "password-team",
        "--role",
        "user",
      ),
    ).toMatchObject({ code: 0 });
    const { insertSession } = await import("@/server/db/queries/sessions");
    const user = await getDb().user.findUniqueOrThrow({ where: { email: "lin@cli.test" } });
    await insertSession({ sessionId: "cli-session", userId: user.id, expires: new Date(Date.now() + 60_000) });

    const changed = chorusWithInput("second-password-2\n", "user", "password", "--email", "lin@cli.test", "--password-stdin");
    expect(changed).toMatchObject({ code: 0 });
    expect(changed.stdout).toContain("ended 1 signed-in session");
    const after = await getDb().user.findUniqueOrThrow({ where: { email: "lin@cli.test" } });
    expect(await verifyPassword("second-password-2", after.passwordHash!)).toBe(true);
    expect(await getDb().session.count({ where: { userId: user.id } })).toBe(0);

    expect(chorusWithInput("whatever-123\n", "user", "password", "--email", "nobody@cli.test", "--password-stdin")).toMatchObject({
      code: 1,
    });
    expect(chorus("user", "password", "--email", "lin@cli.test")).toMatchObject({ code: 2 });
  });

  it("adds a user who already has an account to another team without touching their password", async () => {
    expect(chorus("team", "create", "second-team")).toMatchObject({ code: 0 });
    // grace@cli.test has an account (previous test); joining needs no password, and one given is not applied.
    const joined = chorusWithInput(
      "a-different-password\n",
      "user",
      "create",
      "--email",
      "grace@cli.test",
      "--password-stdin",
      "--team",
      "second-team",
      "--role",
      "user",
    );
    expect(joined).toMatchObject({ code: 0 });
    expect(joined.stdout).toContain("already has an account");
    expect(joined.stdout).toContain("password is unchanged");
    const user = await getDb().user.findUniqueOrThrow({ where: { email: "grace@cli.test" }, include: { memberships: true } });
    expect(user.memberships).toHaveLength(2);
    expect(await verifyPassword("from-stdin-password", user.passwordHash!)).toBe(true);

    const newcomer = chorus("user", "create", "--email", "new@cli.test", "--team", "second-team", "--role", "user");
    expect(newcomer.code).toBe(1);
    expect(newcomer.stderr).toContain("a new user needs a password");
    expect(await getDb().user.count({ where: { email: "new@cli.test" } })).toBe(0);
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
    expect(
      chorus("user", "create", "--email", "x@example.com", "--password", "short", "--team", "cli-team", "--role", "user").stderr,
    ).toContain("password must be at least 8");

    const listWithoutTeam = chorus("key", "list");
    expect(listWithoutTeam.code).toBe(2);
    expect(listWithoutTeam.stderr).toContain("--team is required");
    const revokeWithoutId = chorus("key", "revoke", "--team", "cli-team");
    expect(revokeWithoutId.code).toBe(2);
    expect(revokeWithoutId.stderr).toContain("key revoke needs one key id");
    expect(chorus("key", "revoke", "one", "two", "--team", "cli-team").code).toBe(2);
    expect(chorus("key", "delete", "--team", "cli-team").code).toBe(2);
    const listUnknownTeam = chorus("key", "list", "--team", "nope");
    expect(listUnknownTeam.code).toBe(1);
    expect(listUnknownTeam.stderr).toContain('No team with slug "nope"');
  });

  it("lists a team's keys by id, name, prefix, role and dates, never the secret or its hash", async () => {
    const { team } = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    const empty = chorus("key", "list", "--team", team.slug);
    expect(empty).toMatchObject({ code: 0, stdout: `Team ${team.slug} has no API keys.\n` });

    const deploy = await createApiKey({ teamId: team.id, role: "user", name: "deploy bot" });
    const reporting = await createApiKey({ teamId: team.id, role: "viewer", name: "reporting" });
    const elsewhere = await createApiKey({ teamId: other.team.id, role: "admin", name: "elsewhere" });
    const db = getDb();
    await db.apiKey.update({ where: { id: deploy.record.id }, data: { lastUsedAt: new Date("2025-03-04T05:06:07.890Z") } });
    await db.apiKey.update({ where: { id: reporting.record.id }, data: { revokedAt: new Date("2025-03-05T00:00:00Z") } });

    const listed = chorus("key", "list", "--team", team.slug);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+NAME\s+KEY\s+ROLE\s+CREATED\s+LAST USED\s+EXPIRES\s+STATUS$/);
    expect(lines).toHaveLength(3);
    const line = (id: string) => lines.find((candidate) => candidate.startsWith(`${id} `)) ?? "";
    expect(line(deploy.record.id)).toMatch(
      new RegExp(
        `deploy bot\\s+chorus_${deploy.record.prefix}_…\\s+user\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:]{8}Z\\s+2025-03-04T05:06:07Z\\s+never\\s+active$`,
      ),
    );
    expect(line(reporting.record.id)).toMatch(/reporting\s+chorus_\w{8}_…\s+viewer\s+\S+\s+never\s+never\s+revoked 2025-03-05T00:00:00Z$/);

    const stored = await db.apiKey.findMany({ where: { teamId: team.id } });
    for (const { key, record } of [deploy, reporting]) {
      expect(listed.stdout).not.toContain(key);
      // The secret is everything after `chorus_<prefix>_` (base64url: it may itself contain "_").
      const secret = key.slice(`chorus_${record.prefix}_`.length);
      expect(secret.length).toBeGreaterThanOrEqual(32);
      expect(listed.stdout).not.toContain(secret);
    }
    for (const { hash } of stored) expect(listed.stdout).not.toContain(hash);
    expect(listed.stdout).not.toContain(elsewhere.record.id);
  });

  it("creates a key that expires after --expires-in, lists when it expires and, once past, that it expired", async () => {
    const { team } = await createTeamWithMembers();
    const before = Date.now();
    const created = chorus("key", "create", "--team", team.slug, "--role", "user", "--name", "quarterly", "--expires-in", "90d");
    expect(created.code).toBe(0);
    const key = created.stdout.trim().split("\n").at(-1)!;
    const record = await getDb().apiKey.findFirstOrThrow({ where: { teamId: team.id, name: "quarterly" } });
    const ninetyDays = 90 * 24 * 60 * 60 * 1000;
    expect(record.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + ninetyDays);
    expect(record.expiresAt!.getTime()).toBeLessThan(Date.now() + ninetyDays);
    expect(created.stdout).toContain(`It expires at ${record.expiresAt!.toISOString().replace(/\.\d{3}Z$/, "Z")}.`);
    expect(await authenticateApiKey(key)).toMatchObject({ apiKeyId: record.id, teamId: team.id, role: "user" });

    const hourly = chorus("key", "create", "--team", team.slug, "--role", "viewer", "--name", "hourly", "--expires-in", "12h");
    expect(hourly.code).toBe(0);
    const hourlyRecord = await getDb().apiKey.findFirstOrThrow({ where: { teamId: team.id, name: "hourly" } });
    expect(hourlyRecord.expiresAt!.getTime() - hourlyRecord.createdAt.getTime()).toBeGreaterThanOrEqual(12 * 60 * 60 * 1000 - 1_000);
    expect(hourlyRecord.expiresAt!.getTime() - hourlyRecord.createdAt.getTime()).toBeLessThan(12 * 60 * 60 * 1000 + 5_000);

    const lasting = chorus("key", "create", "--team", team.slug, "--role", "viewer", "--name", "lasting");
    expect(lasting.stdout).toContain("It does not expire");
    expect((await getDb().apiKey.findFirstOrThrow({ where: { teamId: team.id, name: "lasting" } })).expiresAt).toBeNull();

    // The hourly key's expiry moved into the past, as if 12 hours went by.
    await getDb().apiKey.update({ where: { id: hourlyRecord.id }, data: { expiresAt: new Date("2025-06-01T12:00:00.000Z") } });
    const listed = chorus("key", "list", "--team", team.slug);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split("\n");
    const line = (id: string) => lines.find((candidate) => candidate.startsWith(`${id} `)) ?? "";
    const expires = record.expiresAt!.toISOString().replace(/\.\d{3}Z$/, "Z");
    expect(line(record.id)).toMatch(new RegExp(`quarterly\\s+.*Z\\s+${expires}\\s+active$`));
    expect(line(hourlyRecord.id)).toMatch(/hourly\s+.*\s+never\s+2025-06-01T12:00:00Z\s+expired$/);
    expect(lines.find((candidate) => candidate.includes("lasting"))).toMatch(/\s+never\s+never\s+active$/);
  });

  it("refuses an --expires-in that is not a whole number of days or hours, naming the flag, and creates no key", async () => {
    const { team } = await createTeamWithMembers();
    for (const bad of ["90", "0d", "1.5d", "90 days", "30m", "3651d"]) {
      const refused = chorus("key", "create", "--team", team.slug, "--role", "user", "--expires-in", bad);
      expect(refused.code, bad).toBe(2);
      expect(refused.stderr, bad).toContain(
        `--expires-in must be a whole number of days or hours, e.g. 90d or 12h (1h to 3650d); got "${bad}"`,
      );
    }
    for (const args of [["--expires-in"], ["--expires-in", "-1d"]]) {
      const unparsed = chorus("key", "create", "--team", team.slug, "--role", "user", ...args);
      expect(unparsed.code, args.join(" ")).toBe(2);
      expect(unparsed.stderr, args.join(" ")).toContain("'--expires-in");
    }
    const elsewhere = chorus("key", "list", "--team", team.slug, "--expires-in", "90d");
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain("--expires-in is an option of key create only");
    expect(await getDb().apiKey.count({ where: { teamId: team.id } })).toBe(0);
  });

  it("revokes a team's key: refused from then on (by a running server within the verified-key cache's 5 s)", async () => {
    const { team } = await createTeamWithMembers();
    const { key, record } = await createApiKey({ teamId: team.id, role: "user", name: "ci" });
    // This process plays a running server; its clock stands still unless the test moves it.
    let clock = Date.now();
    vi.spyOn(Date, "now").mockImplementation(() => clock);
    try {
      const cached = await authenticateApiKey(key);
      expect(cached.apiKeyId).toBe(record.id);

      const revoked = chorus("key", "revoke", record.id, "--team", team.slug);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toContain(`Revoked API key "ci" (chorus_${record.prefix}_…, role user) of team ${team.slug}.`);
      expect(revoked.stdout).toContain("within 5 s");
      expect(revoked.stdout).not.toContain(key);
      expect((await getDb().apiKey.findUniqueOrThrow({ where: { id: record.id } })).revokedAt).not.toBeNull();

      // Another process cannot reach this one's memory of verified keys: accepted until it lapses.
      expect(await authenticateApiKey(key)).toEqual(cached);
      clock += VERIFIED_KEY_TTL_MS;
      await expect(authenticateApiKey(key)).rejects.toMatchObject({ code: "unauthorized" });
    } finally {
      vi.restoreAllMocks();
    }

    const again = chorus("key", "revoke", record.id, "--team", team.slug);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/was already revoked \(at \d{4}-\d\d-\d\dT[\d:]{8}Z\); nothing changed\./);
  });

  it("refuses to revoke an unknown id or another team's key, and leaves that key working", async () => {
    const { team } = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    const theirs = await createApiKey({ teamId: other.team.id, role: "admin", name: "theirs" });

    const crossTeam = chorus("key", "revoke", theirs.record.id, "--team", team.slug);
    expect(crossTeam.code).toBe(1);
    expect(crossTeam.stderr).toContain(`No API key with id "${theirs.record.id}" in team ${team.slug}`);
    expect((await getDb().apiKey.findUniqueOrThrow({ where: { id: theirs.record.id } })).revokedAt).toBeNull();
    expect((await authenticateApiKey(theirs.key)).teamId).toBe(other.team.id);

    const unknown = chorus("key", "revoke", "no-such-key", "--team", team.slug);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No API key with id "no-such-key"');
  });

  it("shows a team's rate limits, sets some, and resets them to the server's defaults", async () => {
    const { team } = await createTeamWithMembers();
    const stored = async () => (await getDb().team.findUniqueOrThrow({ where: { id: team.id } })).rateLimits;
    const shown = chorus("team", "limits", team.slug);
    expect(shown.code).toBe(0);
    expect(shown.stdout.split("\n").slice(0, 5)).toEqual([
      `Rate limits of team ${team.slug}, per API key or user:`,
      "TIER   LIMIT    SET BY   COUNTS",
      "spend  100/1h   default  task create, rerun",
      "write  300/1m   default  approve, reject, cancel, agents",
      "read   1200/1m  default  reads and streams",
    ]);
    expect(await stored()).toBeNull();

    const set = chorus("team", "limits", team.slug, "--spend", "200/1h", "--read", "3000/1m");
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/spend\s+200\/1h\s+team/);
    expect(set.stdout).toMatch(/write\s+300\/1m\s+default/);
    expect(set.stdout).toMatch(/read\s+3000\/1m\s+team/);
    expect(set.stdout).toContain("A server that is running applies the change within 10 s.");
    expect(await stored()).toEqual({ spend: "200/1h", read: "3000/1m" });
    expect((await teamRateLimits(team.id)).rules.spend).toEqual({ limit: 200, windowMs: 3_600_000 });

    expect(chorus("team", "limits", team.slug, "--write", "20/30s")).toMatchObject({ code: 0 });
    expect(await stored()).toEqual({ spend: "200/1h", read: "3000/1m", write: "20/30s" });
    const reset = chorus("team", "limits", team.slug, "--reset", "--read", "2000/1m");
    expect(reset.stdout).toMatch(/spend\s+100\/1h\s+default/);
    expect(await stored()).toEqual({ read: "2000/1m" });
    expect(chorus("team", "limits", team.slug, "--reset")).toMatchObject({ code: 0 });
    expect(await stored()).toBeNull();

    const malformed = chorus("team", "limits", team.slug, "--spend", "lots");
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("--spend must be <requests>/<window>, e.g. 100/1h");
    expect(chorus("team", "limits").code).toBe(2);
    const unknown = chorus("team", "limits", "no-such-team", "--spend", "1/1h");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No team with slug "no-such-team"');
  });
});
