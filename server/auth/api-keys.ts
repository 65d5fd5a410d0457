import { createHash, randomBytes } from "node:crypto";
import type { Role } from "@/server/db/generated/enums";
import { getDb } from "@/server/db/client";
import { AppError } from "@/server/errors";

/**
 * Team API keys: `chorus_<prefix>_<secret>`. Only the SHA-256 of the whole key is stored
 * (keys are 192 random bits, so a fast hash is enough); the prefix identifies a key in lists.
 */
const KEY_PATTERN = /^chorus_([a-z0-9]{8})_([A-Za-z0-9_-]{32})$/;

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = randomBytes(6).toString("base64url").toLowerCase().replace(/[^a-z0-9]/g, "0").slice(0, 8);
  const key = `chorus_${prefix}_${randomBytes(24).toString("base64url")}`;
  return { key, prefix, hash: hashApiKey(key) };
}

export async function createApiKey(input: { teamId: string; role: Role; name: string; createdById?: string }) {
  const { key, prefix, hash } = generateApiKey();
  const record = await getDb().apiKey.create({
    data: { teamId: input.teamId, role: input.role, name: input.name, prefix, hash, createdById: input.createdById },
    omit: { hash: true },
  });
  return { key, record };
}

export interface ApiKeyCaller {
  apiKeyId: string;
  teamId: string;
  role: Role;
}

/** Resolves a presented key to its team and role, or throws `unauthorized`. */
export async function authenticateApiKey(key: string): Promise<ApiKeyCaller> {
  if (!KEY_PATTERN.test(key)) throw new AppError("unauthorized", "Invalid API key");
  const db = getDb();
  const record = await db.apiKey.findUnique({ where: { hash: hashApiKey(key) }, select: { id: true, teamId: true, role: true, revokedAt: true, lastUsedAt: true } });
  if (!record || record.revokedAt) throw new AppError("unauthorized", "Invalid API key");
  // Stamp last use at most once a minute: a write per request would cost more than the request.
  if (!record.lastUsedAt || Date.now() - record.lastUsedAt.getTime() > 60_000) {
    void db.apiKey.update({ where: { id: record.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
  }
  return { apiKeyId: record.id, teamId: record.teamId, role: record.role };
}
