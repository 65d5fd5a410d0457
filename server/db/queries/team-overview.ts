import { query } from "@/server/db/client";

/**
 * The aggregations the Overview page charts (docs/dashboard.md), in SQL so a team with a year of
 * tasks sends back a few dozen rows, not its rows. Days are UTC days: timestamps are stored
 * without a zone and mean UTC (server/db/stored-time.ts), so `date_trunc('day', …)` is the UTC
 * day. Tokens, cost and cache hits per day come from the model calls (sumTeamModelCalls in
 * model-calls.ts), the same numbers the usage page shows.
 */

export interface TaskDayStatusRow {
  /** YYYY-MM-DD, the UTC day the task was created. */
  day: string;
  status: string;
  tasks: number;
}

/** How many of the team's tasks created in [from, to) have each status, per UTC day of creation. */
export async function countTeamTasksPerDay(teamId: string, range: { from: Date; to: Date }): Promise<TaskDayStatusRow[]> {
  const { rows } = await query<TaskDayStatusRow>(
    `SELECT to_char(date_trunc('day', t."createdAt"), 'YYYY-MM-DD') AS day, t.status::text AS status, count(*)::int AS tasks
     FROM "Task" t
     WHERE t."teamId" = $1 AND t."createdAt" >= $2::timestamp AND t."createdAt" < $3::timestamp
     GROUP BY 1, 2 ORDER BY 1, 2`,
    [teamId, range.from.toISOString(), range.to.toISOString()],
  );
  return rows;
}

export interface AgentDurationRow {
  agent: string;
  executions: number;
  p50Ms: number;
  p95Ms: number;
}

/**
 * The median and 95th percentile of how long the team's completed attempts took, per agent kind,
 * for attempts started in [from, to). Continuous percentiles (`percentile_cont`: linear
 * interpolation between the two nearest attempts). A step a rerun reused did not run, so it is
 * left out; so are failed and cancelled attempts, whose time says nothing of the agent's speed.
 */
export async function agentDurationPercentiles(teamId: string, range: { from: Date; to: Date }): Promise<AgentDurationRow[]> {
  const { rows } = await query<AgentDurationRow>(
    `SELECT e."agentKind" AS agent, count(*)::int AS executions,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e."completedAt" - e."startedAt") * 1000)::float8 AS "p50Ms",
       percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM e."completedAt" - e."startedAt") * 1000)::float8 AS "p95Ms"
     FROM "AgentExecution" e
     WHERE e."teamId" = $1 AND e.status = 'completed' AND e."reusedFromId" IS NULL AND e."completedAt" IS NOT NULL
       AND e."startedAt" >= $2::timestamp AND e."startedAt" < $3::timestamp
     GROUP BY 1 ORDER BY 1`,
    [teamId, range.from.toISOString(), range.to.toISOString()],
  );
  return rows;
}
