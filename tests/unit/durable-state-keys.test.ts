import { randomBytes } from "node:crypto";
import { LibSodiumEncryptionService } from "@inngest/middleware-encryption/strategies/libSodium";
import { describe, expect, it } from "vitest";
import { parseEnv } from "@/server/env";
import { durableStateKeys } from "@/server/secrets/durable-state-keys";
import { masterKeyring } from "@/server/secrets/master-keys";

/**
 * The keys durable state is encrypted with, as the encryption middleware uses them (it builds
 * this same service from `key` and `fallbackDecryptionKeys`): derived from the master key, and
 * still readable after a rotation while the previous master key is configured.
 */
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const ringOf = (current: Buffer, previous?: Buffer) =>
  masterKeyring(
    parseEnv({
      CHORUS_MASTER_KEY: current.toString("base64"),
      ...(previous ? { CHORUS_MASTER_KEY_PREVIOUS: previous.toString("base64") } : {}),
    }),
  );
const serviceFor = (keys: ReturnType<typeof durableStateKeys>) =>
  new LibSodiumEncryptionService([keys.key, ...keys.fallbackDecryptionKeys]);
const stepOutput = { text: "The agent's answer about lighthouses", sources: [] };

describe("durable state keys", () => {
  it("are derived from the master key, not the master key itself, and stable for one key", () => {
    const keys = durableStateKeys(ringOf(keyA));
    expect(Buffer.from(keys.key, "base64")).toHaveLength(32);
    expect(keys.key).not.toBe(keyA.toString("base64"));
    expect(durableStateKeys(ringOf(keyA)).key).toBe(keys.key);
    expect(durableStateKeys(ringOf(keyB)).key).not.toBe(keys.key);
    expect(keys.fallbackDecryptionKeys).toEqual([]);
  });

  it("decrypt state written before a rotation while the previous master key is configured, and not after it is gone", async () => {
    const sealedBefore = await serviceFor(durableStateKeys(ringOf(keyA))).encrypt(stepOutput);
    expect(sealedBefore).not.toContain("lighthouses");

    const rotated = durableStateKeys(ringOf(keyB, keyA));
    expect(rotated.key).toBe(durableStateKeys(ringOf(keyB)).key); // the new key encrypts
    expect(await serviceFor(rotated).decrypt(sealedBefore)).toEqual(stepOutput);

    await expect(serviceFor(durableStateKeys(ringOf(keyB))).decrypt(sealedBefore)).rejects.toThrow();
  });
});
