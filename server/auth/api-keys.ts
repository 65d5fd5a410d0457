import { createHash, randomBytes } from "node:crypto";
import type { Role } from "@/server/db/types";
import { findApiKeyByHash, insertApiKey, markApiKeyRevoked, stampApiKeyLastUsed } from "@/server/db/queries/api-keys";
import { AppError } from "@/server/errors";
import { processWide } from "@/server/process-wide";

/**
 * Team API keys: `chorus_<prefix>_<secret>`. Only the SHA-256 of the whole key is stored
 * (keys are 192 random bits, so a fast hash is enough); the prefix identifies a key in lists.
 */
const KEY_PATTERN = /^chorus_([a-z0-9]{8})_([A-Za-z0-9_-]{32})$/;

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = randomBytes(6)
    .toString("base64url")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "0")
    .slice(0, 8);
  const key = `chorus_${prefix}_${randomBytes(24).toString("base64url")}`;
  return { key, prefix, hash: hashApiKey(key) };
}

/** A new key for the team; with `expiresAt` it is refused from that instant on, else it lasts until revoked. */
export async function createApiKey(input: { teamId: string; role: Role; name: string; createdById?: string; expiresAt?: Date }) {
  const { key, prefix, hash } = generateApiKey();
  const record = await insertApiKey({
    teamId: input.teamId,
    role: input.role,
    name: input.name,
    prefix,
    hash,
    createdById: input.createdById,
    expiresAt: input.expiresAt,
  });
  return { key, record };
}

export interface ApiKeyCaller {
  apiKeyId: string;
  teamId: string;
  role: Role;
}

/**
 * Verified keys, kept a few seconds so a client polling many times a second costs one lookup
 * per key per few seconds instead of one per request. A revoke through `revokeApiKey` drops
 * the key here at once; one made by another process (or straight in the database) takes
 * effect here within VERIFIED_KEY_TTL_MS. A key's expiry is remembered with it and checked on
 * every request, so a remembered key stops at its expiry, not up to 5 s later. Shared through
 * globalThis: Next's route bundles and the custom server load this module separately. Only the
 * SHA-256 is a map key, never the key.
 */
export const VERIFIED_KEY_TTL_MS = 5_000;
const MAX_VERIFIED_KEYS = 1_000;
const LAST_USED_EVERY_MS = 60_000;

interface VerifiedKey {
  caller: ApiKeyCaller;
  verifiedAt: number;
  /** Epoch ms from which the key is refused; undefined when it does not expire. */
  expiresAt: number | undefined;
  lastUsedAt: number;
}

const verifiedKeys = () => processWide("chorus.verified-api-keys", () => new Map<string, VerifiedKey>());

/** The token of an `Authorization: Bearer <token>` header, or undefined when the header has another form. */
export function bearerToken(authorization: string): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
}

/** Resolves a presented key to its team and role, or throws `unauthorized` (saying so when the key expired). */
export async function authenticateApiKey(key: string): Promise<ApiKeyCaller> {
  if (!KEY_PATTERN.test(key)) throw new AppError("unauthorized", "Invalid API key");
  const hash = hashApiKey(key);
  const cache = verifiedKeys();
  const now = Date.now();
  const cached = cache.get(hash);
  if (cached && now - cached.verifiedAt < VERIFIED_KEY_TTL_MS) {
    refuseIfExpired(cached, now);
    stampLastUse(cached, now);
    return { ...cached.caller };
  }
  cache.delete(hash);
  const record = await findApiKeyByHash(hash);
  if (!record || record.revoked) throw new AppError("unauthorized", "Invalid API key");
  const verified: VerifiedKey = {
    caller: { apiKeyId: record.id, teamId: record.teamId, role: record.role },
    verifiedAt: now,
    expiresAt: record.expiresAt ? Date.parse(record.expiresAt) : undefined,
    lastUsedAt: record.lastUsedAt ? Date.parse(record.lastUsedAt) : 0,
  };
  refuseIfExpired(verified, now);
  if (cache.size >= MAX_VERIFIED_KEYS) cache.delete(cache.keys().next().value!);
  cache.set(hash, verified);
  stampLastUse(verified, now);
  return { ...verified.caller };
}

/** An expired key is a 401 that says so: its holder had a working key and needs a new one, not a typo fixed. */
function refuseIfExpired(verified: VerifiedKey, now: number) {
  if (verified.expiresAt === undefined || now < verified.expiresAt) return;
  throw new AppError("unauthorized", `API key expired at ${new Date(verified.expiresAt).toISOString()}`);
}

/** Stamps last use at most once a minute: a write per request would cost more than the request. */
function stampLastUse(verified: VerifiedKey, now: number) {
  if (now - verified.lastUsedAt <= LAST_USED_EVERY_MS) return;
  verified.lastUsedAt = now;
  void stampApiKeyLastUsed(verified.caller.apiKeyId, new Date(now)).catch(() => undefined);
}

/** Revokes a team's key: refused from the next request on, in this process at once. */
export async function revokeApiKey(teamId: string, apiKeyId: string): Promise<boolean> {
  const revoked = await markApiKeyRevoked(teamId, apiKeyId, new Date());
  forgetVerifiedKey(apiKeyId);
  return revoked;
}

/** Drops a key from this process's verified keys (after a revoke or a role change). */
export function forgetVerifiedKey(apiKeyId: string) {
  const cache = verifiedKeys();
  for (const [hash, verified] of cache) if (verified.caller.apiKeyId === apiKeyId) cache.delete(hash);
}
