import type { EncryptionService } from "@inngest/middleware-encryption";
import { decryptSecret, encryptSecret } from "./envelope";
import { masterKeyring, type MasterKeyring } from "./master-keys";

/**
 * How Inngest's encryption middleware (`@inngest/middleware-encryption`, wired in
 * inngest/client.ts) encrypts durable state — step outputs, function results and the `encrypted`
 * field of event and invoke data, which carry prompts and model output (docs/secrets.md): with
 * the same AES-256-GCM envelopes as every other secret at rest, under the master keyring. So a
 * rotation works as it does for secrets (the previous key still decrypts; each value names the
 * key it needs), and the crypto is Node's native AES-GCM: a third of the middleware default's
 * CPU (libsodium compiled to WebAssembly) to encrypt an agent's answer, half to a seventh to
 * decrypt one of a few KB or more (bench/durable-state-encryption.ts). Values are bound to this use: an envelope of a stored
 * secret copied into step state does not decrypt.
 */

const CONTEXT = "durable-state";

/** The middleware's name for this scheme, stored beside each value (`__STRATEGY__`). */
export const DURABLE_STATE_STRATEGY = "chorus/aes-256-gcm";

export function durableStateEncryption(keyring?: MasterKeyring): EncryptionService {
  const ring = () => keyring ?? masterKeyring();
  return {
    identifier: DURABLE_STATE_STRATEGY,
    encrypt: (value: unknown) => encryptSecret(JSON.stringify(value) ?? "null", { context: CONTEXT, keyring: ring() }),
    decrypt: (data: string) => JSON.parse(decryptSecret(data, { context: CONTEXT, keyring: ring() })) as unknown,
  };
}
