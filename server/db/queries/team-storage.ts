import { query } from "@/server/db/client";

/**
 * How much of the database a team's rows take (Settings → Data). A team's bytes are the sum of
 * pg_column_size over its rows in the tables that grow with use — the size of each row as a
 * value, TOASTed text included, indexes and free space not — so they are an estimate that sums
 * across teams, beside the exact size of each table (all teams, with indexes and TOAST) and of
 * the whole database. Reading every row of a team is not free on a big team: callers cache it.
 */

/** The tables measured, and how a row of each finds its team (directly, or through its task). */
const MEASURED: { table: string; teamOf: "teamId" | "task" }[] = [
  { table: "Task", teamOf: "teamId" },
  { table: "AgentExecution", teamOf: "teamId" },
  { table: "RunEvent", teamOf: "task" },
  { table: "ToolCall", teamOf: "teamId" },
  { table: "ModelCall", teamOf: "teamId" },
  { table: "LlmCacheEntry", teamOf: "teamId" },
  { table: "KnowledgeDocument", teamOf: "teamId" },
  { table: "KnowledgeChunk", teamOf: "teamId" },
  { table: "AuditEvent", teamOf: "teamId" },
  { table: "WebhookDelivery", teamOf: "teamId" },
  { table: "WebhookAttempt", teamOf: "teamId" },
];

export const MEASURED_TABLES = MEASURED.map((measured) => measured.table);

export interface TableStorage {
  table: string;
  /** The team's rows in it. */
  rows: number;
  /** Their estimated bytes. */
  bytes: number;
  /** The whole table on disk, every team's rows, with its indexes and TOAST. */
  tableBytes: number;
}

const TEAM_STORAGE_SQL = MEASURED.map(({ table, teamOf }) => {
  const from =
    teamOf === "teamId" ? `"${table}" r WHERE r."teamId" = $1` : `"${table}" r JOIN "Task" t ON t."id" = r."taskId" WHERE t."teamId" = $1`;
  return `SELECT '${table}' AS "table", count(*)::float8 AS "rows", coalesce(sum(pg_column_size(r.*)), 0)::float8 AS "bytes",
            pg_total_relation_size('"${table}"')::float8 AS "tableBytes" FROM ${from}`;
}).join("\nUNION ALL\n");

/** The team's rows and estimated bytes per measured table, biggest first. */
export async function measureTeamStorage(teamId: string): Promise<TableStorage[]> {
  const { rows } = await query<TableStorage>(TEAM_STORAGE_SQL, [teamId]);
  return rows.sort((a, b) => b.bytes - a.bytes || a.table.localeCompare(b.table));
}

/** The whole database's size on disk (every team, the executor's state, indexes). */
export async function measureDatabaseSize(): Promise<number> {
  const { rows } = await query<{ bytes: number }>(`SELECT pg_database_size(current_database())::float8 AS "bytes"`, []);
  return rows[0]!.bytes;
}
