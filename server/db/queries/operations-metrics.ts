import { activeTaskStatuses } from "@/server/domain/task-vocabulary";
import { query } from "@/server/db/client";

/**
 * Instance-wide readings for the operator's metrics (/api/metrics), the one place queries span
 * every team on purpose: they return counts only, never a team's rows, and no caller chooses
 * what they read. The first two use an index (`Task.status`, `WorkflowRun(status, runAfter)`); the
 * budget reading scans `Team`, one row per team.
 */

/** Tasks not finished yet, by status (every active status present, zero when none). */
export async function countActiveTasksByStatus(): Promise<Record<string, number>> {
  const { rows } = await query<{ status: string; count: number }>(
    `SELECT status::text AS status, count(*)::int AS count FROM "Task" WHERE status = ANY($1::"TaskStatus"[]) GROUP BY status`,
    [[...activeTaskStatuses]],
  );
  const counts: Record<string, number> = Object.fromEntries(activeTaskStatuses.map((status) => [status, 0]));
  for (const row of rows) counts[row.status] = row.count;
  return counts;
}

/** Embedded-executor runs ready to run that no live lease holds, and how long the oldest has waited. */
export async function readExecutorQueue(): Promise<{ depth: number; oldestWaitSeconds: number }> {
  const { rows } = await query<{ depth: number; oldestWaitSeconds: number | null }>(
    `SELECT count(*)::int AS depth, extract(epoch FROM timezone('UTC', now()) - min("runAfter"))::float8 AS "oldestWaitSeconds"
     FROM "WorkflowRun" WHERE status = 'running' AND "runAfter" <= timezone('UTC', now())`,
    [],
  );
  return { depth: rows[0]?.depth ?? 0, oldestWaitSeconds: Math.max(0, rows[0]?.oldestWaitSeconds ?? 0) };
}

/**
 * The largest share of its monthly budget any team has spent this calendar month (UTC), as
 * `findTeamMonthBudget` counts it: a counter from an earlier month is this month's 0.
 */
export async function readTeamBudgetMaxUsedRatio(): Promise<number> {
  const { rows } = await query<{ ratio: number | null }>(
    `SELECT max(CASE WHEN "budgetMonth" = to_char(timezone('UTC', now()), 'YYYY-MM') THEN "monthSpentUsd" ELSE 0 END / "monthlyBudgetUsd")::float8 AS ratio
     FROM "Team" WHERE "monthlyBudgetUsd" > 0`,
    [],
  );
  return rows[0]?.ratio ?? 0;
}
