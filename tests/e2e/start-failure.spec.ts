import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { E2E_PORT } from "../../playwright.config";
import { spawnChorus } from "./support";

/**
 * A start that cannot finish cleans up after itself: a second Chorus, on its own fresh data dir,
 * asked for the port the test server already serves on, says which port is taken and stops the
 * embedded Postgres it had launched — without disturbing the server that owns the port.
 */
test("a start on a port in use says so and stops the Postgres it launched", async ({ request }) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "chorus-e2e-port-taken-"));
  try {
    const child = spawnChorus({
      port: E2E_PORT,
      dataDir,
      teamName: "Port Team",
      admin: { email: "admin@port.test", password: "port-password-123" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));

    expect(code).toBe(1);
    expect(output).toContain(`port ${E2E_PORT} is already in use on 127.0.0.1: stop what is using it, or set PORT to a free port`);
    // It did start its own Postgres (the cluster exists) and stopped it again.
    expect(existsSync(path.join(dataDir, "pg", "PG_VERSION"))).toBe(true);
    expect(existsSync(path.join(dataDir, "pg", "postmaster.pid"))).toBe(false);

    // The server on that port carries on.
    expect((await request.get("/api/health")).status()).toBe(200);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
