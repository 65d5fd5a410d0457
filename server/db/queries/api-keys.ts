import { getDb, query } from "@/server/db/client";
import type { Role } from "@/server/db/generated/enums";
import { utcIsoSql } from "@/server/db/stored-time";

/**
 * Team API keys, `ApiKey` rows. Only the SHA-256 of a key is stored, and only the look-up by hash
 * reads it: every other query leaves it out (`omit`). Management queries take the team and
 * filter by it; the look-up by hash is how a request finds its team in the first place.
 */

export async function insertApiKey(key: {
  teamId: string;
  role: Role;
  name: string;
  prefix: string;
  hash: string;
  createdById?: string;
  expiresAt?: Date;
}) {
  return getDb().apiKey.create({ data: key, omit: { hash: true } });
}

/** A team's keys, newest first, without their hashes. */
export async function listApiKeys(teamId: string) {
  return getDb().apiKey.findMany({ where: { teamId }, omit: { hash: true }, orderBy: [{ createdAt: "desc" }, { id: "asc" }] });
}

/** One of a team's keys without its hash; null for an unknown id or another team's key. */
export async function findApiKey(teamId: string, apiKeyId: string) {
  return getDb().apiKey.findFirst({ where: { id: apiKeyId, teamId }, omit: { hash: true } });
}

/** The key with this hash: its team, role, whether it is revoked, when it expires and when it was last used. */
export async function findApiKeyByHash(hash: string) {
  const { rows } = await query<{
    id: string;
    teamId: string;
    role: Role;
    revoked: boolean;
    expiresAt: string | null;
    lastUsedAt: string | null;
  }>(
    `SELECT id, "teamId", role::text AS role, "revokedAt" IS NOT NULL AS revoked,
            ${utcIsoSql('"expiresAt"')} AS "expiresAt", ${utcIsoSql('"lastUsedAt"')} AS "lastUsedAt"
     FROM "ApiKey" WHERE hash = $1`,
    [hash],
  );
  return rows[0];
}

export async function stampApiKeyLastUsed(apiKeyId: string, at: Date): Promise<void> {
  await query(`UPDATE "ApiKey" SET "lastUsedAt" = $2::timestamp WHERE id = $1`, [apiKeyId, at.toISOString()]);
}

/** Revokes a team's key; false when it is unknown, another team's or already revoked. */
export async function markApiKeyRevoked(teamId: string, apiKeyId: string, at: Date): Promise<boolean> {
  const { rowCount } = await query(
    `UPDATE "ApiKey" SET "revokedAt" = $3::timestamp WHERE id = $1 AND "teamId" = $2 AND "revokedAt" IS NULL`,
    [apiKeyId, teamId, at.toISOString()],
  );
  return (rowCount ?? 0) > 0;
}

/** A team's keys for the dashboard's list, newest first: without hashes, with who created each (name or email). */
export async function listApiKeysWithCreators(teamId: string) {
  return getDb().apiKey.findMany({
    where: { teamId },
    omit: { hash: true },
    include: { createdBy: { select: { name: true, email: true } } },
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
  });
}
