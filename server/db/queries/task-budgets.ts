import type pg from "pg";
import { getPool, query } from "@/server/db/client";

/**
 * A task's hard budget as counters on its row (docs/model-usage.md#budgets): `budgetUsd` (the
 * task's maxCostUsd) and `maxTokens` are the limits; `budgetReserved*` the worst cases of the
 * calls in flight, `budgetSpent*` what settled calls spent. Reserving is one conditional UPDATE
 * that locks the row, so however many agents reserve at once, spent + reserved never passes a
 * limit. A team's monthly budget is the same on its `Team` row (`monthlyBudgetUsd`, this
 * month's `monthSpentUsd` / `monthReservedUsd`, reset by the first reservation of a new UTC month);
 * a reservation locks the team's row first, then the task's, in one transaction. Every statement
 * takes the task's team.
 */

export interface TeamMonthBudget {
  monthlyBudgetUsd: number;
  spentUsd: number;
  reservedUsd: number;
}

export interface BudgetLimits {
  maxCostUsd: number | null;
  maxTokens: number | null;
  spentUsd: number;
  spentTokens: number;
  reservedUsd: number;
  reservedTokens: number;
}

export interface ReservationRequest {
  teamId: string;
  taskId: string;
  /** The prompt's tokens (estimated): always reserved in full. */
  inputTokens: number;
  /** The output tokens the call asks for; fewer are granted when less remains. */
  outputTokens: number;
  /** USD per token; null when the model's price is unknown (then no cost limit applies to it). */
  inputPricePerToken: number | null;
  outputPricePerToken: number | null;
  /** The fewest output tokens worth making the call for. */
  minOutputTokens: number;
  /** Whether the team has a monthly budget to reserve against as well (else one statement, no transaction). */
  teamMonthly: boolean;
}

/**
 * Reserves the call's input and as many of its output tokens as both limits leave room for
 * (at most `outputTokens`). Returns the granted output tokens, or undefined when fewer than
 * `minOutputTokens` fit (nothing is reserved then).
 */
export async function reserveTaskBudget(
  request: ReservationRequest,
): Promise<{ outputTokens: number } | { refusedBy: "task" | "team"; team?: TeamMonthBudget }> {
  if (!request.teamMonthly) return (await reserveOnTask(getPool(), request)) ?? { refusedBy: "task" };
  const client = await getPool().connect();
  try {
    await client.query("BEGIN");
    const team = await lockTeamMonth(client, request.teamId);
    let outputTokens = request.outputTokens;
    if (team) {
      const inputUsd = request.inputTokens * (request.inputPricePerToken ?? 0);
      const left = team.monthlyBudgetUsd - team.spentUsd - team.reservedUsd - inputUsd;
      const price = request.outputPricePerToken ?? 0;
      if (price > 0) outputTokens = Math.min(outputTokens, Math.floor(left / price));
      else if (left < 0) outputTokens = 0;
      if (outputTokens < request.minOutputTokens) {
        await client.query("ROLLBACK");
        return { refusedBy: "team", team };
      }
    }
    const granted = await reserveOnTask(client, { ...request, outputTokens });
    if (!granted) {
      await client.query("ROLLBACK");
      return { refusedBy: "task" };
    }
    if (team) {
      const reservedUsd =
        request.inputTokens * (request.inputPricePerToken ?? 0) + granted.outputTokens * (request.outputPricePerToken ?? 0);
      await client.query(`UPDATE "Team" SET "monthReservedUsd" = "monthReservedUsd" + $2::numeric WHERE id = $1`, [
        request.teamId,
        reservedUsd,
      ]);
    }
    await client.query("COMMIT");
    return granted;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The current UTC month, as budgetMonth stores it. */
function currentMonth(): string {
  return new Date().toISOString().slice(0, 7);
}

/**
 * Locks the team's row when it has a monthly budget (a new month starts its counters again) and
 * returns the month's budget and counters; undefined (nothing locked) when it has none.
 */
async function lockTeamMonth(client: pg.PoolClient, teamId: string): Promise<TeamMonthBudget | undefined> {
  const { rows } = await client.query<TeamMonthBudget>(
    `UPDATE "Team" SET
       "monthSpentUsd" = CASE WHEN "budgetMonth" IS DISTINCT FROM $2 THEN 0 ELSE "monthSpentUsd" END,
       "monthWarnedAt" = CASE WHEN "budgetMonth" IS DISTINCT FROM $2 THEN NULL ELSE "monthWarnedAt" END,
       "budgetMonth" = $2
     WHERE id = $1 AND "monthlyBudgetUsd" IS NOT NULL
     RETURNING "monthlyBudgetUsd"::float8 AS "monthlyBudgetUsd", "monthSpentUsd"::float8 AS "spentUsd", "monthReservedUsd"::float8 AS "reservedUsd"`,
    [teamId, currentMonth()],
  );
  return rows[0];
}

async function reserveOnTask(client: pg.PoolClient | pg.Pool, request: ReservationRequest): Promise<{ outputTokens: number } | undefined> {
  // The CTE locks the row (FOR UPDATE): a concurrent reservation waits, then reads the counters this one left.
  const { rows } = await client.query<{ granted: number }>(
    `WITH cur AS (
       SELECT id, LEAST(
         $4::int,
         CASE WHEN "maxTokens" IS NULL THEN NULL ELSE "maxTokens" - "budgetSpentTokens" - "budgetReservedTokens" - $3::int END,
         CASE WHEN "budgetUsd" IS NULL OR $6::numeric IS NULL OR $6::numeric <= 0 THEN NULL
              ELSE floor(("budgetUsd" - "budgetSpentUsd" - "budgetReservedUsd" - $3::int * COALESCE($5::numeric, 0)) / $6::numeric) END
       )::int AS granted
       FROM "Task" WHERE id = $1 AND "teamId" = $2 FOR UPDATE
     )
     UPDATE "Task" t SET
       "budgetReservedTokens" = t."budgetReservedTokens" + $3::int + cur.granted,
       "budgetReservedUsd" = t."budgetReservedUsd" + $3::int * COALESCE($5::numeric, 0) + cur.granted * COALESCE($6::numeric, 0)
     FROM cur WHERE t.id = cur.id AND cur.granted >= $7::int
     RETURNING cur.granted`,
    [
      request.taskId,
      request.teamId,
      request.inputTokens,
      request.outputTokens,
      request.inputPricePerToken,
      request.outputPricePerToken,
      request.minOutputTokens,
    ],
  );
  return rows[0] ? { outputTokens: rows[0].granted } : undefined;
}

/**
 * Releases a reservation and adds what the call really spent. Returns whether this settlement
 * took the task past 80% of a limit for the first time (the one warning), and the counters after.
 */
export async function settleTaskBudget(settlement: {
  teamId: string;
  taskId: string;
  reservedTokens: number;
  reservedUsd: number;
  spentTokens: number;
  spentUsd: number;
}): Promise<{ warned: boolean; limits: BudgetLimits } | undefined> {
  const { rows } = await query<BudgetLimitsRow & { warned: boolean }>(
    `WITH old AS (SELECT id, "budgetWarnedAt" FROM "Task" WHERE id = $1 AND "teamId" = $2 FOR UPDATE)
     UPDATE "Task" t SET
       "budgetReservedTokens" = GREATEST(0, t."budgetReservedTokens" - $3::int),
       "budgetReservedUsd" = GREATEST(0, t."budgetReservedUsd" - $4::numeric),
       "budgetSpentTokens" = t."budgetSpentTokens" + $5::int,
       "budgetSpentUsd" = t."budgetSpentUsd" + $6::numeric,
       "budgetWarnedAt" = CASE
         WHEN t."budgetWarnedAt" IS NULL AND (
           (t."maxTokens" IS NOT NULL AND t."budgetSpentTokens" + $5::int >= 0.8 * t."maxTokens") OR
           (t."budgetUsd" IS NOT NULL AND t."budgetSpentUsd" + $6::numeric >= 0.8 * t."budgetUsd"))
         THEN now() ELSE t."budgetWarnedAt" END
     FROM old WHERE t.id = old.id
     RETURNING ${LIMIT_COLUMNS}, old."budgetWarnedAt" IS NULL AND t."budgetWarnedAt" IS NOT NULL AS warned`,
    [settlement.taskId, settlement.teamId, settlement.reservedTokens, settlement.reservedUsd, settlement.spentTokens, settlement.spentUsd],
  );
  const row = rows[0];
  return row ? { warned: row.warned, limits: limitsOf(row) } : undefined;
}

/**
 * The team's side of a settlement, when it has a monthly budget: releases the reservation and adds
 * the spend to this month (a reservation from last month is only released). Returns whether this
 * took the month past 80% for the first time, and the month's counters.
 */
export async function settleTeamMonth(settlement: {
  teamId: string;
  reservedUsd: number;
  spentUsd: number;
}): Promise<{ warned: boolean; month: TeamMonthBudget } | undefined> {
  const { rows } = await query<TeamMonthBudget & { warned: boolean }>(
    `WITH old AS (SELECT id, "monthWarnedAt", "budgetMonth" = $4 AS current FROM "Team" WHERE id = $1 AND "monthlyBudgetUsd" IS NOT NULL FOR UPDATE)
     UPDATE "Team" team SET
       "monthReservedUsd" = GREATEST(0, team."monthReservedUsd" - $2::numeric),
       "monthSpentUsd" = team."monthSpentUsd" + CASE WHEN old.current THEN $3::numeric ELSE 0 END,
       "monthWarnedAt" = CASE
         WHEN old.current AND team."monthWarnedAt" IS NULL AND team."monthSpentUsd" + $3::numeric >= 0.8 * team."monthlyBudgetUsd" THEN now()
         ELSE team."monthWarnedAt" END
     FROM old WHERE team.id = old.id
     RETURNING team."monthlyBudgetUsd"::float8 AS "monthlyBudgetUsd", team."monthSpentUsd"::float8 AS "spentUsd",
       team."monthReservedUsd"::float8 AS "reservedUsd", old."monthWarnedAt" IS NULL AND team."monthWarnedAt" IS NOT NULL AS warned`,
    [settlement.teamId, settlement.reservedUsd, settlement.spentUsd, currentMonth()],
  );
  const row = rows[0];
  return row
    ? { warned: row.warned, month: { monthlyBudgetUsd: row.monthlyBudgetUsd, spentUsd: row.spentUsd, reservedUsd: row.reservedUsd } }
    : undefined;
}

/** The team's monthly budget and what this month has spent (ModelCall rows when the counters are from another month). */
export async function findTeamMonthBudget(
  teamId: string,
): Promise<{ monthlyBudgetUsd: number | null; spentUsd: number; month: string } | undefined> {
  const { rows } = await query<{ monthlyBudgetUsd: number | null; spentUsd: number }>(
    `SELECT "monthlyBudgetUsd"::float8 AS "monthlyBudgetUsd",
       CASE WHEN "budgetMonth" = $2 THEN "monthSpentUsd"::float8 ELSE 0 END AS "spentUsd"
     FROM "Team" WHERE id = $1`,
    [teamId, currentMonth()],
  );
  return rows[0] ? { ...rows[0], month: currentMonth() } : undefined;
}

/**
 * Sets (or clears, null) the team's monthly budget. Setting one starts this month's counter at
 * what the team's model calls already spent this month, so the budget covers the whole month.
 */
export async function updateTeamMonthlyBudget(teamId: string, monthlyBudgetUsd: number | null) {
  const month = currentMonth();
  const { rows } = await query<{ id: string }>(
    `UPDATE "Team" team SET "monthlyBudgetUsd" = $2::numeric,
       "monthSpentUsd" = CASE WHEN team."budgetMonth" = $3 AND team."monthlyBudgetUsd" IS NOT NULL THEN team."monthSpentUsd"
         ELSE (SELECT COALESCE(sum(m."costUsd"), 0) FROM "ModelCall" m WHERE m."teamId" = $1 AND m."startedAt" >= date_trunc('month', now() AT TIME ZONE 'UTC')) END,
       "monthWarnedAt" = CASE WHEN team."budgetMonth" = $3 THEN team."monthWarnedAt" ELSE NULL END,
       "budgetMonth" = $3
     WHERE team.id = $1 RETURNING team.id`,
    [teamId, monthlyBudgetUsd, month],
  );
  return rows.length > 0 ? findTeamMonthBudget(teamId) : undefined;
}

/** The task's limits and counters (for the message of a refused call). */
export async function findTaskBudget(teamId: string, taskId: string): Promise<BudgetLimits | undefined> {
  const { rows } = await query<BudgetLimitsRow>(`SELECT ${LIMIT_COLUMNS} FROM "Task" t WHERE t.id = $1 AND t."teamId" = $2`, [
    taskId,
    teamId,
  ]);
  return rows[0] ? limitsOf(rows[0]) : undefined;
}

const LIMIT_COLUMNS = `t."budgetUsd"::float8 AS "maxCostUsd", t."maxTokens", t."budgetSpentUsd"::float8 AS "spentUsd",
  t."budgetSpentTokens" AS "spentTokens", t."budgetReservedUsd"::float8 AS "reservedUsd", t."budgetReservedTokens" AS "reservedTokens"`;

type BudgetLimitsRow = BudgetLimits;

function limitsOf(row: BudgetLimitsRow): BudgetLimits {
  return {
    maxCostUsd: row.maxCostUsd,
    maxTokens: row.maxTokens,
    spentUsd: row.spentUsd,
    spentTokens: row.spentTokens,
    reservedUsd: row.reservedUsd,
    reservedTokens: row.reservedTokens,
  };
}
