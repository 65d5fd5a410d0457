import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { parseEnv } from "@/server/env";
import { verifyPassword } from "@/server/auth/password";
import { bootstrapFirstRun, INITIAL_PASSWORD_FILE } from "@/server/teams/bootstrap";

const dataDir = await mkdtemp(path.join(os.tmpdir(), "chorus-bootstrap-"));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

async function adminPasswordHash(email: string) {
  return (await getDb().user.findUniqueOrThrow({ where: { email } })).passwordHash!;
}

describe("first run", () => {
  it("without a terminal, keeps the generated password in a file only this user can read, and prints only its path", async () => {
    const printed: string[] = [];
    const created = await bootstrapFirstRun(parseEnv({ CHORUS_TEAM_NAME: "Acme Labs", CHORUS_DATA_DIR: dataDir }), {
      print: (line) => printed.push(line),
      interactive: false,
    });
    expect(created).toBeDefined();

    const file = path.join(dataDir, INITIAL_PASSWORD_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const kept = await readFile(file, "utf8");
    const password = /^password: (\S+)$/m.exec(kept)?.[1];
    expect(kept).toContain("email: admin@chorus.local");
    expect(await verifyPassword(password!, await adminPasswordHash("admin@chorus.local"))).toBe(true);
    // What was printed (and so what a log collects) names the file, never the password.
    expect(printed.join("\n")).toContain(file);
    expect(printed.join("\n")).not.toContain(password!);

    const admin = await getDb().user.findUniqueOrThrow({
      where: { email: "admin@chorus.local" },
      include: { memberships: { include: { team: true } } },
    });
    expect(admin.memberships[0]).toMatchObject({ role: "admin", team: { slug: "acme-labs", name: "Acme Labs" } });

    const again: string[] = [];
    expect(
      await bootstrapFirstRun(parseEnv({ CHORUS_DATA_DIR: dataDir }), { print: (line) => again.push(line), interactive: false }),
    ).toBeUndefined();
    expect(again).toEqual([]);
    expect(await getDb().user.count()).toBe(1);
  });

  it("two processes setting up one empty database at once: one admin, one password file that works, one announcement", async () => {
    await getDb().$executeRawUnsafe(`TRUNCATE "User", "Team" CASCADE`);
    const shared = await mkdtemp(path.join(os.tmpdir(), "chorus-bootstrap-race-"));
    try {
      const printed: string[][] = [[], []];
      const results = await Promise.all(
        printed.map((lines) =>
          bootstrapFirstRun(parseEnv({ CHORUS_DATA_DIR: shared }), { print: (line) => lines.push(line), interactive: false }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(printed.filter((lines) => lines.length > 0)).toHaveLength(1);
      expect(await getDb().user.count()).toBe(1);
      expect(await getDb().team.count()).toBe(1);
      const password = /^password: (\S+)$/m.exec(await readFile(path.join(shared, INITIAL_PASSWORD_FILE), "utf8"))?.[1];
      expect(await verifyPassword(password!, await adminPasswordHash("admin@chorus.local"))).toBe(true);
      // No draft is left behind.
      expect(await readdir(shared)).toEqual([INITIAL_PASSWORD_FILE]);
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });

  it("in a terminal, shows the generated password there once and writes no file", async () => {
    await getDb().$executeRawUnsafe(`TRUNCATE "User", "Team" CASCADE`);
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), "chorus-bootstrap-tty-"));
    try {
      const printed: string[] = [];
      await bootstrapFirstRun(parseEnv({ CHORUS_DATA_DIR: elsewhere, CHORUS_ADMIN_EMAIL: "owner@acme.test" }), {
        print: (line) => printed.push(line),
        interactive: true,
      });
      const password = printed.join("\n").match(/password: (\S+)/)?.[1];
      expect(await verifyPassword(password!, await adminPasswordHash("owner@acme.test"))).toBe(true);
      await expect(stat(path.join(elsewhere, INITIAL_PASSWORD_FILE))).rejects.toMatchObject({ code: "ENOENT" });
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
