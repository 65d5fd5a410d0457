import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

/** The unprivileged account a root test run starts Postgres as (Debian's `nobody`). */
const NOBODY = 65534;

describe("npm start", () => {
  it("refuses a malformed configuration before doing anything, naming each bad variable", () => {
    const result = spawnSync("node", ["bin/start.mjs"], {
      env: { ...process.env, PORT: "eighty", DATABASE_URL: "mysql://db/chorus", CHORUS_ADMIN_PASSWORD: "short" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("PORT: must be a whole number");
    expect(result.stderr).toContain("DATABASE_URL: must be a postgres:// or postgresql:// URL");
    expect(result.stderr).toContain("CHORUS_ADMIN_PASSWORD: must be at least 8 characters");
    expect(result.stdout).not.toMatch(/building/i);
  });
});

describe("the embedded database", () => {
  // Postgres refuses to run as root, so as root Chorus runs it as a `postgres` system user; every
  // other user (a developer's laptop, the Docker image's `node` user) runs it as themselves. The
  // test machines run as root, so this starts it as `nobody` to cover the ordinary case.
  it("starts, answers and stops when Chorus runs as an ordinary user", (context) => {
    const asRoot = process.getuid?.() === 0;
    const tsx = path.resolve("node_modules/tsx/dist/cli.mjs");
    if (asRoot) {
      // `nobody` must be able to read this checkout (a clone in a private directory is not).
      const readable = spawnSync(process.execPath, ["-e", `require("node:fs").accessSync(${JSON.stringify(tsx)})`], {
        uid: NOBODY,
        gid: NOBODY,
      });
      if (readable.status !== 0) context.skip("this checkout is not readable by the unprivileged user nobody");
    }
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "chorus-ordinary-user-"));
    try {
      if (asRoot) chownSync(dataDir, NOBODY, NOBODY);
      const result = spawnSync(
        process.execPath,
        [
          tsx,
          "--tsconfig",
          path.resolve("tsconfig.json"),
          path.resolve("tests/support/start-embedded-postgres.ts"),
          path.join(dataDir, "data"),
        ],
        {
          env: { PATH: process.env.PATH, HOME: dataDir, LOG_LEVEL: "warn", NODE_ENV: "test" },
          encoding: "utf8",
          timeout: 60_000,
          ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
        },
      );
      expect(result.stderr).not.toMatch(/error/i);
      expect(result.status).toBe(0);
      const seen = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { uid: number; started: boolean; answer: number };
      expect(seen).toEqual({ uid: asRoot ? NOBODY : process.getuid?.(), started: true, answer: 42 });
      // The cluster belongs to that user, and it was stopped.
      expect(statSync(path.join(dataDir, "data", "pg", "PG_VERSION")).uid).toBe(seen.uid);
      expect(existsSync(path.join(dataDir, "data", "pg", "postmaster.pid"))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
