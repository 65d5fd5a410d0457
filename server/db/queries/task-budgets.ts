import { query } from "@/server/db/client";

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
}

/**
 * Commits the statement it is part of without waiting for the WAL flush
 * (`synchronous_commit = off` for this transaction only: set_config's third argument). Budget
 * counters are written twice per model call, on the call's path; the flush was most of their
 * cost (≈ 0.3–1 ms each, measured in bench/model-cache.ts). Postgres documents the trade: a
 * crash of Postgres itself may lose the last fraction of a second of such commits, never
 * consistency — here, a reservation or settlement made just before the crash, so a task's
 * counters could under-count one call. Row locks, and so the never-overshoot guarantee among
 * concurrent calls, are unaffected.
 */
const RELAXED_COMMIT = `relax AS (SELECT set_config('synchronous_commit', 'off', true) AS setting)`;

/**
 * Reserves the call's input and as many of its output tokens as both limits leave room for
 * (at most `outputTokens`): the task's, and the team's monthly budget when it has one. Returns
 * the granted output tokens, or which budget refused (nothing is reserved then) when fewer than
 * `minOutputTokens` fit.
 *
 * One statement, one round trip: it locks the team's row (only when the team has a monthly
 * budget; a new UTC month starts its counters again), then the task's — the room is computed
 * from the team's row, so the team is locked first, as settlements do too — and updates both.
 */
export async function reserveTaskBudget(
  request: ReservationRequest,
): Promise<{ outputTokens: number } | { refusedBy: "task" | "team"; team?: TeamMonthBudget }> {
  const { rows } = await query<{
    granted: number | null;
    teamRoom: number | null;
    monthlyBudgetUsd: number | null;
    spentUsd: number | null;
    reservedUsd: number | null;
  }>(
    `WITH ${RELAXED_COMMIT},
     team AS (
       SELECT id, "monthlyBudgetUsd" AS budget, "budgetMonth" IS DISTINCT FROM $8 AS "newMonth",
         CASE WHEN "budgetMonth" IS DISTINCT FROM $8 THEN 0 ELSE "monthSpentUsd" END AS spent, "monthReservedUsd" AS reserved
       FROM "Team" WHERE id = $2 AND "monthlyBudgetUsd" IS NOT NULL FOR UPDATE
     ),
     room AS (
       SELECT COALESCE((SELECT LEAST($4::int, CASE
           WHEN COALESCE($6::numeric, 0) > 0 THEN floor((budget - spent - reserved - $3::int * COALESCE($5::numeric, 0)) / $6::numeric)
           WHEN budget - spent - reserved - $3::int * COALESCE($5::numeric, 0) < 0 THEN 0
           ELSE $4::int END) FROM team), $4::int) AS team_room
     ),
     -- Locks the task's row (FOR UPDATE): a concurrent reservation waits, then reads the counters this one left.
     cur AS (
       SELECT t.id, room.team_room, LEAST(
         room.team_room,
         CASE WHEN t."maxTokens" IS NULL THEN NULL ELSE t."maxTokens" - t."budgetSpentTokens" - t."budgetReservedTokens" - $3::int END,
         CASE WHEN t."budgetUsd" IS NULL OR $6::numeric IS NULL OR $6::numeric <= 0 THEN NULL
              ELSE floor((t."budgetUsd" - t."budgetSpentUsd" - t."budgetReservedUsd" - $3::int * COALESCE($5::numeric, 0)) / $6::numeric) END
       ) AS granted
       FROM "Task" t CROSS JOIN room WHERE t.id = $1 AND t."teamId" = $2 FOR UPDATE OF t
     ),
     task_reserved AS (
       UPDATE "Task" t SET
         "budgetReservedTokens" = t."budgetReservedTokens" + $3::int + cur.granted::int,
         "budgetReservedUsd" = t."budgetReservedUsd" + $3::int * COALESCE($5::numeric, 0) + cur.granted * COALESCE($6::numeric, 0)
       FROM cur WHERE t.id = cur.id AND cur.granted >= $7::int
       RETURNING cur.granted::int AS granted
     ),
     team_reserved AS (
       UPDATE "Team" tm SET
         "monthSpentUsd" = team.spent,
         "monthWarnedAt" = CASE WHEN team."newMonth" THEN NULL ELSE tm."monthWarnedAt" END,
         "budgetMonth" = $8,
         "monthReservedUsd" = tm."monthReservedUsd"
           + COALESCE((SELECT $3::int * COALESCE($5::numeric, 0) + granted * COALESCE($6::numeric, 0) FROM task_reserved), 0)
       FROM team WHERE tm.id = team.id AND EXISTS (SELECT 1 FROM task_reserved)
       RETURNING tm.id
     )
     SELECT (SELECT granted FROM task_reserved) AS granted,
       (SELECT LEAST(team_room, 2147483647)::int FROM room) AS "teamRoom",
       (SELECT budget::float8 FROM team) AS "monthlyBudgetUsd", (SELECT spent::float8 FROM team) AS "spentUsd",
       (SELECT reserved::float8 FROM team) AS "reservedUsd",
       (SELECT count(*) FROM team_reserved) + (SELECT count(*) FROM relax) AS touched`,
    [
      request.taskId,
      request.teamId,
      request.inputTokens,
      request.outputTokens,
      request.inputPricePerToken,
      request.outputPricePerToken,
      request.minOutputTokens,
      currentMonth(),
    ],
  );
  const row = rows[0]!;
  if (row.granted !== null) return { outputTokens: row.granted };
  const team =
    row.monthlyBudgetUsd === null
      ? undefined
      : { monthlyBudgetUsd: row.monthlyBudgetUsd, spentUsd: row.spentUsd ?? 0, reservedUsd: row.reservedUsd ?? 0 };
  if (team && row.teamRoom !== null && row.teamRoom < request.minOutputTokens) return { refusedBy: "team", team };
  return { refusedBy: "task" };
}

/** The current UTC month, as budgetMonth stores it. */
function currentMonth(): string {
  return new Date().toISOString().slice(0, 7);
}

export interface Settlement {
  teamId: string;
  taskId: string;
  reservedTokens: number;
  reservedUsd: number;
  spentTokens: number;
  spentUsd: number;
}

export interface Settled {
  /** The task's counters after; `warned` when this settlement first took it past 80% of a limit. */
  task?: { warned: boolean; limits: BudgetLimits };
  /** The team's month after, when it has a monthly budget; `warned` when this first took the month past 80%. */
  team?: { warned: boolean; month: TeamMonthBudget };
}

/**
 * Releases a reservation and adds what the call really spent, to the task and to the team's
 * month (a reservation from last month is only released), in one statement: the team's row is
 * locked first, as reservations do, so the two never wait on each other in opposite orders.
 */
export async function settleBudgets(settlement: Settlement): Promise<Settled> {
  const { rows } = await query<
    BudgetLimitsRow & {
      taskWarned: boolean | null;
      monthlyBudgetUsd: number | null;
      monthSpentUsd: number;
      monthReservedUsd: number;
      teamWarned: boolean | null;
    }
  >(
    `WITH ${RELAXED_COMMIT},
     old_team AS (
       SELECT id, "monthWarnedAt", "budgetMonth" = $7 AS current FROM "Team"
       WHERE id = $2 AND "monthlyBudgetUsd" IS NOT NULL FOR UPDATE
     ),
     -- The filter on old_team is evaluated once, before the scan: the team's row is locked before the task's.
     old AS (SELECT id, "budgetWarnedAt" FROM "Task" WHERE id = $1 AND "teamId" = $2 AND (SELECT count(*) FROM old_team) >= 0 FOR UPDATE),
     task_settled AS (
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
       RETURNING ${LIMIT_COLUMNS}, old."budgetWarnedAt" IS NULL AND t."budgetWarnedAt" IS NOT NULL AS "taskWarned"
     ),
     team_settled AS (
       UPDATE "Team" team SET
         "monthReservedUsd" = GREATEST(0, team."monthReservedUsd" - $4::numeric),
         "monthSpentUsd" = team."monthSpentUsd" + CASE WHEN old_team.current THEN $6::numeric ELSE 0 END,
         "monthWarnedAt" = CASE
           WHEN old_team.current AND team."monthWarnedAt" IS NULL AND team."monthSpentUsd" + $6::numeric >= 0.8 * team."monthlyBudgetUsd" THEN now()
           ELSE team."monthWarnedAt" END
       FROM old_team WHERE team.id = old_team.id
       RETURNING team."monthlyBudgetUsd"::float8 AS "monthlyBudgetUsd", team."monthSpentUsd"::float8 AS "monthSpentUsd",
         team."monthReservedUsd"::float8 AS "monthReservedUsd", old_team."monthWarnedAt" IS NULL AND team."monthWarnedAt" IS NOT NULL AS "teamWarned"
     )
     SELECT task_settled.*, team_settled.* FROM relax
       LEFT JOIN task_settled ON true LEFT JOIN team_settled ON true`,
    [
      settlement.taskId,
      settlement.teamId,
      settlement.reservedTokens,
      settlement.reservedUsd,
      settlement.spentTokens,
      settlement.spentUsd,
      currentMonth(),
    ],
  );
  const row = rows[0];
  const settled: Settled = {};
  if (row?.taskWarned !== null && row?.taskWarned !== undefined) settled.task = { warned: row.taskWarned, limits: limitsOf(row) };
  if (row?.teamWarned !== null && row?.teamWarned !== undefined && row.monthlyBudgetUsd !== null) {
    settled.team = {
      warned: row.teamWarned,
      month: { monthlyBudgetUsd: row.monthlyBudgetUsd, spentUsd: row.monthSpentUsd, reservedUsd: row.monthReservedUsd },
    };
  }
  return settled;
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
