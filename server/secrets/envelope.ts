import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { masterKeyring, type MasterKeyring } from "./master-keys";

/**
 * AES-256-GCM envelopes for secrets stored in the database:
 * `v1:<key id>:<iv>:<ciphertext>:<tag>` (base64url parts). The caller's `context` — what the
 * secret belongs to, e.g. `McpServer.headers:<row id>` — is authenticated with it (GCM additional
 * data, with the version and key id), so a ciphertext copied into another row, or altered in any
 * byte, fails to decrypt instead of yielding something.
 */
const VERSION = "v1";

/** A stored secret that no configured key can read: names the key it needs, never its content. */
export class SecretUnreadableError extends Error {
  constructor(
    message: string,
    readonly keyId: string | undefined,
  ) {
    super(message);
    this.name = "SecretUnreadableError";
  }
}

const additionalData = (keyId: string, context: string) => Buffer.from(`${VERSION}:${keyId}:${context}`, "utf8");

export function encryptSecret(plaintext: string, options: { context: string; keyring?: MasterKeyring }): string {
  const { current } = options.keyring ?? masterKeyring();
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", current.key, iv);
  cipher.setAAD(additionalData(current.id, options.context));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, current.id, iv.toString("base64url"), body.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(":");
}

/** The id of the key a ciphertext was made with (undefined when it is not an envelope). */
export function keyIdOfCiphertext(ciphertext: string): string | undefined {
  const [version, keyId] = ciphertext.split(":");
  return version === VERSION && keyId && /^[0-9a-f]{8}$/.test(keyId) ? keyId : undefined;
}

export function decryptSecret(ciphertext: string, options: { context: string; keyring?: MasterKeyring }): string {
  const keyring = options.keyring ?? masterKeyring();
  const parts = ciphertext.split(":");
  const keyId = keyIdOfCiphertext(ciphertext);
  if (parts.length !== 5 || !keyId)
    throw new SecretUnreadableError(`A stored secret (${options.context}) is not a ${VERSION} envelope`, keyId);
  const key = keyring.readable.find((candidate) => candidate.id === keyId);
  if (!key) {
    throw new SecretUnreadableError(
      `A stored secret (${options.context}) is encrypted under master key ${keyId}, which is not configured ` +
        `(configured: ${keyring.readable.map((known) => known.id).join(", ")}); set CHORUS_MASTER_KEY or CHORUS_MASTER_KEY_PREVIOUS to it`,
      keyId,
    );
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.key, Buffer.from(parts[2]!, "base64url"), { authTagLength: 16 });
    decipher.setAAD(additionalData(keyId, options.context));
    decipher.setAuthTag(Buffer.from(parts[4]!, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(parts[3]!, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new SecretUnreadableError(
      `A stored secret (${options.context}) failed authentication under master key ${keyId}: it was altered, or belongs to another record`,
      keyId,
    );
  }
}
