import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { waitForHealth } from "./support";

/**
 * `npm start`, signalled as a process manager or container runtime signals it — SIGTERM to npm
 * itself — stops Chorus cleanly: npm forwards the signal to the server (the script `exec`s it, so
 * no shell sits in between and swallows it), which drains and stops its embedded Postgres.
 */
test("SIGTERM to `npm start` stops Chorus and its embedded Postgres cleanly", async () => {
  test.setTimeout(180_000);
  const port = 3110;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "chorus-e2e-npm-start-"));
  let group: ChildProcess | undefined;
  try {
    const npm = spawn("npm", ["start"], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        CHORUS_DATA_DIR: dataDir,
        CHORUS_ADMIN_EMAIL: "admin@npm-start.test",
        CHORUS_ADMIN_PASSWORD: "npm-start-password",
        LOG_LEVEL: "info",
        DATABASE_URL: "",
      },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so a failed run can't leave a server or Postgres behind (finally).
      detached: true,
    });
    group = npm;
    let output = "";
    npm.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => npm.once("exit", (code) => resolve(code)));

    await waitForHealth(`http://127.0.0.1:${port}`, { timeoutMs: 150_000, what: "npm start", detail: () => output });
    expect(existsSync(path.join(dataDir, "pg", "postmaster.pid"))).toBe(true);

    npm.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toContain('"received signal","signal":"SIGTERM"');
    expect(existsSync(path.join(dataDir, "pg", "postmaster.pid"))).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
  } finally {
    try {
      if (group?.pid) process.kill(-group.pid, "SIGKILL");
    } catch {
      // already gone, as it should be
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});
