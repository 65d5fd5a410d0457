import { query } from "@/server/db/client";
import type { TaskStatus } from "@/server/db/generated/enums";
import { utcIsoSql } from "@/server/db/stored-time";
import { teamStreamEventTypes } from "@/server/domain/task-vocabulary";

/**
 * The task list's reads (#21 §1, docs/dashboard.md): a page of the team's tasks, newest first,
 * narrowed by full-text search and filters, continued by keyset on (createdAt, id); the choices
 * the filters offer; and the team's status events in commit-safe order for the team stream.
 * Every statement takes the caller's team and filters by it.
 *
 * The page's SQL is assembled from fixed fragments (one per filter given), so each combination
 * is one of a few dozen named prepared statements; no input text is ever part of the SQL.
 * Index use (EXPLAIN, docs/dashboard.md): the team's keyset order is Task_teamId_createdAt_id_idx;
 * a search is Task_searchVector_idx (GIN) ANDed with the team.
 */

/** The text search configuration of Task."searchVector" (its trigger, migration 20261228000000_task_list). */
const SEARCH_CONFIG = "'english'::regconfig";

const USAGE_COLUMNS = `COALESCE((SELECT sum(m."inputTokens")::int FROM "ModelCall" m WHERE m."taskId" = t.id), t."inputTokens") AS "inputTokens",
  COALESCE((SELECT sum(m."outputTokens")::int FROM "ModelCall" m WHERE m."taskId" = t.id), t."outputTokens") AS "outputTokens",
  (SELECT CASE WHEN count(*) = 0 THEN t."costUsd" ELSE COALESCE(sum(m."costUsd"), 0) END FROM "ModelCall" m WHERE m."taskId" = t.id)::text AS "costUsd"`;

const LIST_COLUMNS = `t.id, t.status::text AS status, t.prompt, t.template, t."requireApproval", t.error, t."parentTaskId",
  ${USAGE_COLUMNS},
  CASE WHEN t."createdById" IS NOT NULL THEN 'user' WHEN t."apiKeyId" IS NOT NULL THEN 'api_key' END AS "submitterType",
  COALESCE(t."createdById", t."apiKeyId") AS "submitterId",
  COALESCE(u.name, u.email, k.name) AS "submitterName",
  ${utcIsoSql('t."createdAt"')} AS "createdAt", ${utcIsoSql('t."startedAt"')} AS "startedAt", ${utcIsoSql('t."completedAt"')} AS "completedAt"`;

/** A task as the list shows it. */
export interface TaskListRow {
  id: string;
  status: TaskStatus;
  prompt: string;
  template: string | null;
  requireApproval: boolean;
  error: string | null;
  parentTaskId: string | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: string;
  submitterType: "user" | "api_key" | null;
  submitterId: string | null;
  submitterName: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

export interface TaskListFilter {
  /** Words as a person types them (websearch_to_tsquery: "quoted phrases", -exclusions, or). */
  search?: string;
  statuses?: readonly TaskStatus[];
  /** Tasks with an execution of this agent kind. */
  agentKind?: string;
  submitter?: { type: "user" | "api_key"; id: string };
  /** createdAt ≥ from and < before (ISO). */
  createdFrom?: string;
  createdBefore?: string;
}

/**
 * One page of the team's tasks matching `filter`, newest first, at most `limit`; after `cursor`
 * (a task id of the team) when given — an id that is not one of the team's gives an empty page.
 */
export async function listTaskPage(
  teamId: string,
  filter: TaskListFilter,
  page: { limit: number; cursor: string | null },
): Promise<TaskListRow[]> {
  const values: unknown[] = [teamId, page.limit];
  const param = (value: unknown) => `$${values.push(value)}`;
  const where = [`t."teamId" = $1`];
  if (page.cursor !== null) {
    where.push(`(t."createdAt", t.id) < (SELECT c."createdAt", c.id FROM "Task" c WHERE c.id = ${param(page.cursor)} AND c."teamId" = $1)`);
  }
  if (filter.search) where.push(`t."searchVector" @@ websearch_to_tsquery(${SEARCH_CONFIG}, ${param(filter.search)})`);
  if (filter.statuses?.length) where.push(`t.status = ANY(${param(filter.statuses)}::"TaskStatus"[])`);
  if (filter.agentKind) {
    where.push(`EXISTS (SELECT 1 FROM "AgentExecution" e WHERE e."taskId" = t.id AND e."agentKind" = ${param(filter.agentKind)})`);
  }
  if (filter.submitter) {
    where.push(`t.${filter.submitter.type === "user" ? '"createdById"' : '"apiKeyId"'} = ${param(filter.submitter.id)}`);
  }
  if (filter.createdFrom) where.push(`t."createdAt" >= ${param(filter.createdFrom)}::timestamp`);
  if (filter.createdBefore) where.push(`t."createdAt" < ${param(filter.createdBefore)}::timestamp`);
  const { rows } = await query<TaskListRow>(
    `SELECT ${LIST_COLUMNS} FROM "Task" t
     LEFT JOIN "User" u ON u.id = t."createdById"
     LEFT JOIN "ApiKey" k ON k.id = t."apiKeyId" AND k."teamId" = t."teamId"
     WHERE ${where.join(" AND ")}
     ORDER BY t."createdAt" DESC, t.id DESC LIMIT $2`,
    values,
  );
  return rows;
}

/** What the list's filters offer: the agent kinds the team's tasks ran, and who submitted its tasks (members and keys). */
export async function listTaskFilterChoices(teamId: string): Promise<{
  agentKinds: string[];
  submitters: Array<{ type: "user" | "api_key"; id: string; name: string }>;
}> {
  const [agents, submitters] = await Promise.all([
    query<{ agentKind: string }>(`SELECT DISTINCT "agentKind" FROM "AgentExecution" WHERE "teamId" = $1 ORDER BY 1 LIMIT 200`, [teamId]),
    query<{ type: "user" | "api_key"; id: string; name: string }>(
      `SELECT 'user' AS type, u.id, COALESCE(u.name, u.email) AS name FROM "Membership" m JOIN "User" u ON u.id = m."userId" WHERE m."teamId" = $1
       UNION ALL
       SELECT 'api_key', k.id, k.name FROM "ApiKey" k WHERE k."teamId" = $1
       ORDER BY 1 DESC, 3 LIMIT 500`,
      [teamId],
    ),
  ]);
  return { agentKinds: agents.rows.map((row) => row.agentKind), submitters: submitters.rows };
}

/** The run-event types that change a task's status: what the team stream carries. */
export const TEAM_STREAM_EVENT_TYPES = teamStreamEventTypes;

/**
 * The types as SQL constants, not a parameter: the partial index RunEvent_xid_id_idx serves a
 * statement only when its condition provably implies the index's, which a parameter never does
 * once Postgres reuses a generic plan for the prepared statement.
 */
const STATUS_TYPES_SQL = TEAM_STREAM_EVENT_TYPES.map((type) => `'${type}'`).join(", ");

/** A status event as the team stream sends it; `xid`/`id` are its place in the stream (decimal strings: 64-bit). */
export interface TeamStatusEventRow {
  xid: string;
  id: string;
  teamId: string;
  taskId: string;
  type: (typeof TEAM_STREAM_EVENT_TYPES)[number];
  status: TaskStatus;
  createdAt: string;
}

/**
 * Status events after (afterXid, afterId), in stream order, of one team or (teamId null) of
 * every team, at most `limit` — only those of transactions older than this statement's
 * snapshot's xmin, which have all finished: an event committed later sorts after them all.
 * `horizon` is that xmin, where a stream with nothing yet to send may start; `held` says that
 * committed status events (of any team) wait behind a transaction still running, to read again soon.
 * The partial index RunEvent_xid_id_idx serves the order; the team comes from the Task row.
 */
export async function readTeamStatusEvents(options: {
  teamId: string | null;
  afterXid: string;
  afterId: string;
  limit: number;
}): Promise<{ events: TeamStatusEventRow[]; horizon: string; held: boolean }> {
  const { rows } = await query<TeamStatusEventRow & { horizon: string; held: boolean }>(
    `WITH snapshot AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
     SELECT snapshot.xmin::text AS horizon,
       EXISTS (SELECT 1 FROM "RunEvent" h WHERE h.type IN (${STATUS_TYPES_SQL}) AND h.xid >= snapshot.xmin) AS held,
       e.xid::text AS xid, e.id::text AS id, t."teamId", e."taskId", e.type,
       t.status::text AS status, ${utcIsoSql('e."createdAt"')} AS "createdAt"
     FROM snapshot
     LEFT JOIN LATERAL (
       SELECT * FROM "RunEvent" e
       WHERE e.type IN (${STATUS_TYPES_SQL}) AND (e.xid, e.id) > ($2::text::xid8, $3::bigint) AND e.xid < snapshot.xmin
         AND ($1::text IS NULL OR EXISTS (SELECT 1 FROM "Task" w WHERE w.id = e."taskId" AND w."teamId" = $1))
       ORDER BY e.xid, e.id LIMIT $4
     ) e ON true
     LEFT JOIN "Task" t ON t.id = e."taskId"
     ORDER BY e.xid, e.id`,
    [options.teamId, options.afterXid, options.afterId, options.limit],
  );
  const { horizon, held } = rows[0]!;
  return { events: rows.filter((row) => row.id !== null) as TeamStatusEventRow[], horizon, held };
}
