import type { listApiKeys } from "@/server/db/queries/api-keys";
import { alignedTable } from "@/server/cli/aligned-table";

/** How the CLI prints API keys: by their public prefix, never the secret or its hash. */
type ListedApiKey = Awaited<ReturnType<typeof listApiKeys>>[number];

/** The key as its owner sees the start of it: `chorus_<prefix>_…`. */
export function maskedApiKey(prefix: string): string {
  return `chorus_${prefix}_…`;
}

/** A stored timestamp (UTC) to the second: `2025-01-31T09:15:00Z`. */
export function utcSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A key's state at `now`: revoked (whenever it would have expired), else expired from its expiry on, else active. */
export function apiKeyStatus(key: Pick<ListedApiKey, "revokedAt" | "expiresAt">, now: Date): string {
  if (key.revokedAt) return `revoked ${utcSeconds(key.revokedAt)}`;
  if (key.expiresAt && key.expiresAt <= now) return "expired";
  return "active";
}

/** The team's keys at `now` as an aligned table, one key a line, with a header. */
export function apiKeyTable(keys: ListedApiKey[], now: Date): string {
  const header = ["ID", "NAME", "KEY", "ROLE", "CREATED", "LAST USED", "EXPIRES", "STATUS"];
  const rows = keys.map((key) => [
    key.id,
    key.name,
    maskedApiKey(key.prefix),
    key.role,
    utcSeconds(key.createdAt),
    key.lastUsedAt ? utcSeconds(key.lastUsedAt) : "never",
    key.expiresAt ? utcSeconds(key.expiresAt) : "never",
    apiKeyStatus(key, now),
  ]);
  return alignedTable([header, ...rows]);
}
