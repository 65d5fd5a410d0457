import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPool } from "@/server/db/client";
import { parseEnv } from "@/server/env";
import { SECRET_COLUMNS, listSecretsNotUnderKey, replaceStoredSecret } from "@/server/db/queries/stored-secrets";
import { createMcpServer, testMcpServerConnection, updateMcpServer } from "@/server/mcp/mcp-servers";
import { keyIdOf, masterKeyring } from "@/server/secrets/master-keys";
import { assertStoredSecretsReadable } from "@/server/secrets/stored-secrets";
import { createTeamWithMembers } from "../support/fixtures";
import { startMcpTestServer, type McpTestServer } from "../support/mcp-test-server";

/**
 * Rotating the master key while Chorus runs: `chorus secrets rotate` re-encrypts every stored
 * secret under CHORUS_MASTER_KEY, reading the old ones with CHORUS_MASTER_KEY_PREVIOUS, after
 * which the old key is no longer needed; and a start with a key that cannot read what is stored
 * is refused, naming the key it needs.
 */
const keyA = Buffer.from(process.env.CHORUS_MASTER_KEY!, "base64");
const keyB = randomBytes(32);
const TOKEN = `rotation-token-${randomBytes(8).toString("hex")}`;
let mcp: McpTestServer;

function chorus(env: Record<string, string>, ...args: string[]) {
  const result = spawnSync("node", ["bin/chorus.mjs", ...args], { env: { ...process.env, LOG_LEVEL: "warn", ...env }, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function storedKeyIds() {
  const { rows } = await getPool().query<{ ciphertext: string }>(
    `SELECT "headersEncrypted" AS ciphertext FROM "McpServer" WHERE "headersEncrypted" IS NOT NULL ORDER BY id`,
  );
  return rows.map((row) => row.ciphertext.split(":")[1]);
}

const keyringOf = (current: Buffer, previous?: Buffer) =>
  masterKeyring(
    parseEnv({
      CHORUS_MASTER_KEY: current.toString("base64"),
      ...(previous ? { CHORUS_MASTER_KEY_PREVIOUS: previous.toString("base64") } : {}),
    }),
  );

beforeAll(async () => {
  mcp = await startMcpTestServer(TOKEN);
});
afterAll(async () => {
  process.env.CHORUS_MASTER_KEY = keyA.toString("base64");
  delete process.env.CHORUS_MASTER_KEY_PREVIOUS;
  await mcp.close();
});

describe("chorus secrets rotate", () => {
  it("re-encrypts every secret under the new key, idempotently, after which the old key is not needed", async () => {
    const { callers } = await createTeamWithMembers();
    const notes = await createMcpServer(callers.admin, { name: "notes", url: mcp.url, headers: { Authorization: `Bearer ${TOKEN}` } });
    await createMcpServer(callers.admin, { name: "other", url: mcp.url, headers: { Authorization: "Bearer other-token", "X-Team": "a" } });
    await createMcpServer(callers.admin, { name: "open", url: mcp.url });
    expect(await storedKeyIds()).toEqual([keyIdOf(keyA), keyIdOf(keyA)]);

    // A new key, the old one still readable: servers restarted like this keep working during the rotation.
    const rotating = { CHORUS_MASTER_KEY: keyB.toString("base64"), CHORUS_MASTER_KEY_PREVIOUS: keyA.toString("hex") };
    await expect(assertStoredSecretsReadable(keyringOf(keyB, keyA))).resolves.toBeUndefined();
    const first = chorus(rotating, "secrets", "rotate");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Re-encrypted 2 stored secrets under master key ${keyIdOf(keyB)}.`);
    expect(await storedKeyIds()).toEqual([keyIdOf(keyB), keyIdOf(keyB)]);

    const again = chorus(rotating, "secrets", "rotate");
    expect(again.stdout).toContain(`Re-encrypted 0 stored secrets under master key ${keyIdOf(keyB)}.`);

    // Only the new key now: the secrets are read with it, and the MCP server gets its token.
    process.env.CHORUS_MASTER_KEY = keyB.toString("base64");
    delete process.env.CHORUS_MASTER_KEY_PREVIOUS;
    await expect(assertStoredSecretsReadable()).resolves.toBeUndefined();
    expect(await testMcpServerConnection(callers.admin, notes.id)).toMatchObject({ ok: true, toolCount: 6 });
    expect(mcp.requests.at(-1)?.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("leaves a row an admin saved during the rotation as they saved it", async () => {
    const { callers } = await createTeamWithMembers();
    process.env.CHORUS_MASTER_KEY = keyA.toString("base64");
    const server = await createMcpServer(callers.admin, { name: "racing", url: mcp.url, headers: { Authorization: "Bearer before" } });
    const [column] = SECRET_COLUMNS;
    const pending = (await listSecretsNotUnderKey(column, keyIdOf(keyB))).find((row) => row.id === server.id)!;
    // The admin saves new headers between the rotation's read and its write.
    process.env.CHORUS_MASTER_KEY = keyB.toString("base64");
    await updateMcpServer(callers.admin, server.id, { headers: { Authorization: "Bearer after" } });
    const { rows } = await getPool().query<{ saved: string }>(`SELECT "headersEncrypted" AS saved FROM "McpServer" WHERE id = $1`, [
      server.id,
    ]);
    expect(await replaceStoredSecret(column, server.id, pending.ciphertext, "v1:00000000:stale")).toBe(false);
    const { rows: after } = await getPool().query<{ saved: string }>(`SELECT "headersEncrypted" AS saved FROM "McpServer" WHERE id = $1`, [
      server.id,
    ]);
    expect(after[0]!.saved).toBe(rows[0]!.saved);
    await getPool().query(`DELETE FROM "McpServer" WHERE id = $1`, [server.id]);
  });

  it("a key that cannot read what is stored stops start-up and rotation, naming the key id they need", async () => {
    const stranger = randomBytes(32);
    const check = assertStoredSecretsReadable(keyringOf(stranger, keyA));
    await expect(check).rejects.toThrow(
      new RegExp(
        `2 stored secret\\(s\\) are encrypted under master key ${keyIdOf(keyB)}, but the configured keys are ${keyIdOf(stranger)}, ${keyIdOf(keyA)}`,
      ),
    );
    await expect(assertStoredSecretsReadable(keyringOf(stranger))).rejects.toMatchObject({ missingKeyIds: [keyIdOf(keyB)] });

    // The server itself (server/main.ts, without the Next build npm start would make first).
    const dataDir = mkdtempSync(path.join(tmpdir(), "chorus-wrong-key-"));
    try {
      const start = spawnSync(
        "node",
        ["--input-type=module", "-e", 'import { runTypeScript } from "./bin/run-ts.mjs"; await runTypeScript("server/main.ts");'],
        {
          env: { ...process.env, LOG_LEVEL: "warn", CHORUS_DATA_DIR: dataDir, CHORUS_MASTER_KEY: stranger.toString("base64"), PORT: "1" },
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      expect(start.status).toBe(1);
      expect(start.stderr).toContain(`Chorus failed to start: 2 stored secret(s) are encrypted under master key ${keyIdOf(keyB)}`);
      expect(start.stderr).toContain("Set CHORUS_MASTER_KEY");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }

    const refused = chorus({ CHORUS_MASTER_KEY: stranger.toString("base64") }, "secrets", "rotate");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`encrypted under master key ${keyIdOf(keyB)}`);
    expect(await storedKeyIds()).toEqual([keyIdOf(keyB), keyIdOf(keyB)]);
  });
});
