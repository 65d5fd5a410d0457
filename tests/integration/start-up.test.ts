import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

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
