import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { getEnv, type Env } from "@/server/env";
import { logger } from "@/server/observability/logger";

/**
 * The master keys secrets at rest are encrypted under: CHORUS_MASTER_KEY, or — so that `npm start`
 * needs no set-up — a key generated once into the data dir (`master.key`, mode 0600), plus
 * CHORUS_MASTER_KEY_PREVIOUS, which is only read, while `chorus secrets rotate` moves secrets off it.
 * A key is known by its id (the first 8 hex characters of its SHA-256), which every ciphertext
 * records, so a missing key can be named without revealing anything about it.
 */
export interface MasterKey {
  id: string;
  key: Buffer;
}

export interface MasterKeyring {
  /** Encrypts everything new. */
  current: MasterKey;
  /** Keys that still decrypt, current first. */
  readable: MasterKey[];
}

export const MASTER_KEY_FILE = "master.key";

/** Stored secrets no configured key can read: Chorus must not start and quietly fail every use of them. */
export class MasterKeyMissingError extends Error {
  constructor(readonly missingKeyIds: string[]) {
    super("stored secrets need a master key that is not configured");
    this.name = "MasterKeyMissingError";
  }
}

export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 8);
}

const masterKey = (key: Buffer): MasterKey => ({ id: keyIdOf(key), key });

/**
 * The data dir's master key, created (32 random bytes, base64, mode 0600) when the file is absent,
 * with a warning to back it up: without it, nothing encrypted under it can be read again.
 * `wx` makes two processes starting at once agree on one key: the loser reads the winner's.
 */
export function loadOrCreateMasterKeyFile(dataDir: string): { key: Buffer; file: string; created: boolean } {
  const file = path.resolve(dataDir, MASTER_KEY_FILE);
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600);
    logger.warn(
      `Generated a new master key in ${file}. Secrets Chorus stores (MCP server headers, model provider keys) are encrypted with it: ` +
        "BACK THIS FILE UP, apart from the database backups. Without it those secrets cannot be read. " +
        "Or set CHORUS_MASTER_KEY (docs/secrets.md).",
      { keyId: keyIdOf(readKeyFile(file)) },
    );
    return { key: readKeyFile(file), file, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  if ((statSync(file).mode & 0o077) !== 0) logger.warn(`${file} can be read by other users of this machine: chmod 600 it`);
  return { key: readKeyFile(file), file, created: false };
}

function readKeyFile(file: string): Buffer {
  const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
  if (key.length !== 32) throw new Error(`${file} does not hold a master key (32 bytes, base64); restore it from a backup`);
  return key;
}

const keyrings = new WeakMap<Env, MasterKeyring>();

/** The keyring the configuration gives (read once per configuration; the file is created if needed). */
export function masterKeyring(env: Env = getEnv()): MasterKeyring {
  let keyring = keyrings.get(env);
  if (!keyring) {
    const current = masterKey(env.CHORUS_MASTER_KEY ?? loadOrCreateMasterKeyFile(env.CHORUS_DATA_DIR).key);
    const previous = env.CHORUS_MASTER_KEY_PREVIOUS ? masterKey(env.CHORUS_MASTER_KEY_PREVIOUS) : undefined;
    keyring = { current, readable: previous && previous.id !== current.id ? [current, previous] : [current] };
    keyrings.set(env, keyring);
  }
  return keyring;
}
