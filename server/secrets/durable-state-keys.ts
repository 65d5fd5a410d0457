import { hkdfSync } from "node:crypto";
import { masterKeyring, type MasterKeyring } from "./master-keys";

/**
 * The keys Inngest's encryption middleware (`@inngest/middleware-encryption`) encrypts durable
 * state with: step outputs, function results and the `encrypted` field of event and invoke data,
 * which carry prompts and model output (docs/secrets.md). They are derived from the master keys
 * (HKDF-SHA256 with a fixed label) rather than being the master keys themselves, so a key handed
 * to an Inngest server's decryption tooling can read task state and nothing else. The current
 * master key encrypts; the previous one (CHORUS_MASTER_KEY_PREVIOUS) still decrypts the state of
 * runs that began before a rotation.
 */

const LABEL = "chorus/durable-state/v1";

function derive(masterKey: Buffer): string {
  return Buffer.from(hkdfSync("sha256", masterKey, Buffer.alloc(0), LABEL, 32)).toString("base64");
}

export interface DurableStateKeys {
  /** Encrypts everything new. */
  key: string;
  /** Only decrypt: state written under a previous master key. */
  fallbackDecryptionKeys: string[];
}

export function durableStateKeys(keyring: MasterKeyring = masterKeyring()): DurableStateKeys {
  const [, ...previous] = keyring.readable;
  return { key: derive(keyring.current.key), fallbackDecryptionKeys: previous.map((entry) => derive(entry.key)) };
}
