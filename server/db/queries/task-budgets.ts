import { query } from "@/server/db/client";

/**
 * A task's hard budget as counters on its row (docs/model-usage.md#budgets): `budgetUsd` (the
 * task's maxCostUsd) and `maxTokens` are the limits; `budgetReserved*` the worst cases of the
 * calls in flight, `budgetSpent*` what settled calls spent. Reserving is one conditional UPDATE
 * that locks the row, so however many agents reserve at once, spent + reserved never passes a
 * limit. Every statement takes the task's team.
 */

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
}

/**
 * Reserves the call's input and as many of its output tokens as both limits leave room for
 * (at most `outputTokens`). Returns the granted output tokens, or undefined when fewer than
 * `minOutputTokens` fit (nothing is reserved then).
 */
export async function reserveTaskBudget(request: ReservationRequest): Promise<{ outputTokens: number } | undefined> {
  // The CTE locks the row (FOR UPDATE): a concurrent reservation waits, then reads the counters this one left.
  const { rows } = await query<{ granted: number }>(
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
