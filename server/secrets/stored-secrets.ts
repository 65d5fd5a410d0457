import {
  SECRET_COLUMNS,
  countStoredSecretsByKeyId,
  listSecretsNotUnderKey,
  replaceStoredSecret,
  secretContext,
} from "@/server/db/queries/stored-secrets";
import { decryptSecret, encryptSecret } from "./envelope";
import { MASTER_KEY_FILE, MasterKeyMissingError, masterKeyring, type MasterKeyring } from "./master-keys";

/**
 * Key management over everything stored encrypted: the start-up check that every secret in the
 * database can be read with the configured keys, and rotation (`chorus secrets rotate`), which
 * re-encrypts each secret not under the current key, row by row, while Chorus keeps running.
 */

/** Throws MasterKeyMissingError (with an explanation) when stored secrets were encrypted under keys not configured. */
export async function assertStoredSecretsReadable(keyring: MasterKeyring = masterKeyring()): Promise<void> {
  const counts = await countStoredSecretsByKeyId();
  const known = new Set(keyring.readable.map((key) => key.id));
  const missing = [...counts.keys()].filter((keyId) => !known.has(keyId)).sort();
  if (missing.length === 0) return;
  const error = new MasterKeyMissingError(missing);
  error.message =
    `${missing.map((keyId) => `${counts.get(keyId)} stored secret(s) are encrypted under master key ${keyId}`).join("; ")}, ` +
    `but the configured key${keyring.readable.length > 1 ? "s are" : " is"} ${keyring.readable.map((key) => key.id).join(", ")}. ` +
    `Set CHORUS_MASTER_KEY (or CHORUS_MASTER_KEY_PREVIOUS while rotating) to the key with id ${missing.join(" / ")}, ` +
    `or restore the data dir's ${MASTER_KEY_FILE} from a backup (docs/secrets.md).`;
  throw error;
}

export interface RotationReport {
  keyId: string;
  /** Re-encrypted under the current key. */
  rewritten: number;
  /** Changed by someone else between reading and rewriting (so already written under the current key). */
  skipped: number;
}

/** Re-encrypts every stored secret that is not under the current key; running it again rewrites nothing. */
export async function rotateStoredSecrets(keyring: MasterKeyring = masterKeyring()): Promise<RotationReport> {
  // Refuse before rewriting anything when some secret could not be read.
  await assertStoredSecretsReadable(keyring);
  const report: RotationReport = { keyId: keyring.current.id, rewritten: 0, skipped: 0 };
  for (const column of SECRET_COLUMNS) {
    for (const { id, ciphertext } of await listSecretsNotUnderKey(column, keyring.current.id)) {
      const context = secretContext(column, id);
      const reencrypted = encryptSecret(decryptSecret(ciphertext, { context, keyring }), { context, keyring });
      if (await replaceStoredSecret(column, id, ciphertext, reencrypted)) report.rewritten++;
      else report.skipped++;
    }
  }
  return report;
}
