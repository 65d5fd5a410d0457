import { query } from "@/server/db/client";

/**
 * Every column that holds secrets encrypted at rest (server/secrets envelopes), and the context
 * each row's envelope is bound to. The queries here span all teams: they serve the instance's
 * key management — the start-up check that every secret is readable and `chorus secrets rotate` —
 * and never return a secret to anyone but that code. A new secret column is added to SECRET_COLUMNS.
 */
export const SECRET_COLUMNS = [
  { table: "McpServer", column: "headersEncrypted" },
  { table: "ModelProvider", column: "apiKeyEncrypted" },
  { table: "WebhookEndpoint", column: "secretEncrypted" },
] as const;

export type SecretColumn = (typeof SECRET_COLUMNS)[number];

/** What a row's envelope in `column` is bound to (AES-GCM additional data): moving it to another row or column breaks it. */
export function secretContext(column: SecretColumn, rowId: string): string {
  return `${column.table}.${column.column}:${rowId}`;
}

/** The key id field of an envelope (`v1:<key id>:…`) in SQL. */
const keyIdSql = (column: SecretColumn) => `split_part("${column.column}", ':', 2)`;

/** How many stored secrets each master key id encrypted, over every secret column. */
export async function countStoredSecretsByKeyId(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const column of SECRET_COLUMNS) {
    const { rows } = await query<{ keyId: string; count: string }>(
      `SELECT ${keyIdSql(column)} AS "keyId", count(*) AS count FROM "${column.table}" WHERE "${column.column}" IS NOT NULL GROUP BY 1`,
      [],
    );
    for (const row of rows) counts.set(row.keyId, (counts.get(row.keyId) ?? 0) + Number(row.count));
  }
  return counts;
}

/** The secrets of `column` not encrypted under `keyId`, by row id. */
export async function listSecretsNotUnderKey(column: SecretColumn, keyId: string): Promise<Array<{ id: string; ciphertext: string }>> {
  const { rows } = await query<{ id: string; ciphertext: string }>(
    `SELECT id, "${column.column}" AS ciphertext FROM "${column.table}"
      WHERE "${column.column}" IS NOT NULL AND ${keyIdSql(column)} <> $1 ORDER BY id`,
    [keyId],
  );
  return rows;
}

/**
 * Replaces one row's envelope if it still holds `from`: one statement, so its own transaction,
 * and a row changed meanwhile (an admin saved new headers) is left as it now is. False then.
 */
export async function replaceStoredSecret(column: SecretColumn, rowId: string, from: string, to: string): Promise<boolean> {
  const { rowCount } = await query(`UPDATE "${column.table}" SET "${column.column}" = $3 WHERE id = $1 AND "${column.column}" = $2`, [
    rowId,
    from,
    to,
  ]);
  return rowCount === 1;
}
