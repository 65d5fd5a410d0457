import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseEnv } from "@/server/env";
import { decryptSecret, encryptSecret, keyIdOfCiphertext, SecretUnreadableError } from "@/server/secrets/envelope";
import { keyIdOf, loadOrCreateMasterKeyFile, masterKeyring } from "@/server/secrets/master-keys";

/** Secrets at rest: AES-256-GCM envelopes bound to their record, under master keys known by id. */
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const ringOf = (current: Buffer, previous?: Buffer) =>
  masterKeyring(
    parseEnv({
      CHORUS_MASTER_KEY: current.toString("base64"),
      ...(previous ? { CHORUS_MASTER_KEY_PREVIOUS: previous.toString("hex") } : {}),
    }),
  );
const context = "McpServer.headersEncrypted:c0000000000000000000000001";

/** The error a decryption throws (failing the test when it decrypts). */
function decryptionError(ciphertext: string, options: Parameters<typeof decryptSecret>[1]): SecretUnreadableError {
  try {
    decryptSecret(ciphertext, options);
  } catch (error) {
    expect(error).toBeInstanceOf(SecretUnreadableError);
    return error as SecretUnreadableError;
  }
  throw new Error("decrypted");
}

describe("secret envelopes", () => {
  it("round-trip, record the key id and version, and never hold the plaintext", () => {
    const keyring = ringOf(keyA);
    const secret = '{"Authorization":"Bearer very-secret-token-123"}';
    const ciphertext = encryptSecret(secret, { context, keyring });
    expect(ciphertext).toMatch(new RegExp(`^v1:${keyIdOf(keyA)}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$`));
    expect(keyIdOfCiphertext(ciphertext)).toBe(keyIdOf(keyA));
    expect(ciphertext).not.toContain("very-secret");
    expect(Buffer.from(ciphertext.split(":")[3]!, "base64url").toString("latin1")).not.toContain("very-secret");
    expect(decryptSecret(ciphertext, { context, keyring })).toBe(secret);
    // A fresh IV each time: the same secret never encrypts to the same text.
    expect(encryptSecret(secret, { context, keyring })).not.toBe(ciphertext);
  });

  it("refuses a ciphertext altered anywhere: IV, body, tag or version", () => {
    const keyring = ringOf(keyA);
    const ciphertext = encryptSecret("token-value-42", { context, keyring });
    const parts = ciphertext.split(":");
    const flip = (text: string) => {
      const bytes = Buffer.from(text, "base64url");
      bytes[0] = bytes[0]! ^ 1;
      return bytes.toString("base64url");
    };
    for (const index of [2, 3, 4]) {
      const altered = parts.map((part, at) => (at === index ? flip(part) : part)).join(":");
      const error = decryptionError(altered, { context, keyring });
      expect(error.message).toContain(`master key ${keyIdOf(keyA)}`);
      expect(error.message).toMatch(/altered/);
      expect(error.message).not.toContain("token-value");
    }
    // A shortened tag is not accepted as a weaker one.
    const shortTag = [...parts.slice(0, 4), Buffer.from(parts[4]!, "base64url").subarray(0, 8).toString("base64url")].join(":");
    decryptionError(shortTag, { context, keyring });
    decryptionError(`v2:${parts.slice(1).join(":")}`, { context, keyring });
    decryptionError("not an envelope", { context, keyring });
  });

  it("is bound to its record: another context cannot decrypt it", () => {
    const keyring = ringOf(keyA);
    const ciphertext = encryptSecret("token-value-42", { context, keyring });
    const error = decryptionError(ciphertext, { context: "McpServer.headersEncrypted:c0000000000000000000000002", keyring });
    expect(error.message).toMatch(/belongs to another record/);
  });

  it("names the key id it needs when that key is not configured", () => {
    const ciphertext = encryptSecret("token-value-42", { context, keyring: ringOf(keyA) });
    const error = decryptionError(ciphertext, { context, keyring: ringOf(keyB) });
    expect(error.keyId).toBe(keyIdOf(keyA));
    expect(error.message).toContain(`encrypted under master key ${keyIdOf(keyA)}, which is not configured (configured: ${keyIdOf(keyB)})`);
  });

  it("reads with the previous key during a rotation and writes with the current one", () => {
    const old = encryptSecret("token-value-42", { context, keyring: ringOf(keyA) });
    const rotating = ringOf(keyB, keyA);
    expect(decryptSecret(old, { context, keyring: rotating })).toBe("token-value-42");
    expect(keyIdOfCiphertext(encryptSecret("x", { context, keyring: rotating }))).toBe(keyIdOf(keyB));
  });
});

describe("master key configuration", () => {
  it("accepts 32 bytes as hex or base64, and names CHORUS_MASTER_KEY otherwise", () => {
    expect(parseEnv({ CHORUS_MASTER_KEY: keyA.toString("hex") }).CHORUS_MASTER_KEY).toEqual(keyA);
    expect(parseEnv({ CHORUS_MASTER_KEY: keyA.toString("base64") }).CHORUS_MASTER_KEY).toEqual(keyA);
    expect(parseEnv({ CHORUS_MASTER_KEY: keyA.toString("base64url") }).CHORUS_MASTER_KEY).toEqual(keyA);
    for (const bad of ["short", randomBytes(16).toString("base64"), randomBytes(33).toString("hex"), "!".repeat(44)])
      expect(() => parseEnv({ CHORUS_MASTER_KEY: bad })).toThrow(/CHORUS_MASTER_KEY: must be 32 bytes/);
    expect(() => parseEnv({ CHORUS_MASTER_KEY_PREVIOUS: "short" })).toThrow(/CHORUS_MASTER_KEY_PREVIOUS/);
  });

  const dirs: string[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it("without CHORUS_MASTER_KEY, generates master.key (mode 0600) in the data dir once, loudly, and keeps using it", async () => {
    const dataDir = path.join(await mkdtemp(path.join(tmpdir(), "chorus-key-")), "nested");
    dirs.push(path.dirname(dataDir));
    const warnings: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((line) => (warnings.push(String(line)), true));
    const previousLevel = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = "info";
    try {
      const keyring = masterKeyring(parseEnv({ CHORUS_DATA_DIR: dataDir }));
      const file = path.join(dataDir, "master.key");
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const stored = Buffer.from((await readFile(file, "utf8")).trim(), "base64");
      expect(stored).toHaveLength(32);
      expect(keyring.current).toEqual({ id: keyIdOf(stored), key: stored });
      expect(warnings.join("")).toMatch(/Generated a new master key in .*master\.key.*BACK THIS FILE UP/);
      expect(warnings.join("")).not.toContain(stored.toString("base64"));

      warnings.length = 0;
      const again = loadOrCreateMasterKeyFile(dataDir);
      expect(again).toMatchObject({ created: false, key: stored });
      expect(warnings.join("")).toBe("");
    } finally {
      process.env.LOG_LEVEL = previousLevel;
    }
  });
});
