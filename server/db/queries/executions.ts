import { getDb, query } from "@/server/db/client";
import { newRowId } from "@/server/db/row-id";
import { countAgentExecution } from "@/server/observability/metrics";
import { APPENDED_COLUMNS, appendRunEventsSql, type AppendedEvents, type NewRunEvent } from "./run-events";
import { taskModelSettingsSql, type TaskModelSettings } from "./tasks";

/**
 * Agent executions, `AgentExecution`: one row per attempt of a plan step. The writes are on the
 * agent-step hot path, in plain SQL: each is one round trip that also appends the step's events,
 * and a Prisma query costs several times the CPU of the same statement sent through pg
 * (measured: an upsert ≈ 2.9 ms vs ≈ 0.4 ms of Node CPU), which matters at hundreds of steps a
 * second. Times are written as UTC, as Prisma writes them. The agent steps act on the execution
 * and task ids their run was given; the one read a member's request makes filters by team.
 */

/**
 * Whether the attempt starting is a restart: a retry (attempt > 1), or an attempt resumed after a
 * crash or a takeover (its row was there already: xmax is set only on a row ON CONFLICT updated).
 */
const RESTARTED = `COALESCE((SELECT $6::int > 1 OR resumed FROM execution), false)`;
const STARTED_PAYLOAD = `(SELECT jsonb_build_object('stepId', $4::text, 'agent', $5::text, 'executionId', id, 'attempt', $6::int) FROM execution)`;

/**
 * Starts an attempt while the task is running: the AgentExecution row (a crash-resumed step
 * re-enters with the same attempt and reuses its row) and `agent.started` — after `agent.restarted`
 * when the step starts again (RESTARTED), so clients drop the partial output they have — in one statement.
 * `id` is null (and nothing is written) when the task is not running. Also returns the team's
 * tools that need approval, which the step needs next, saving it a round trip.
 */
export async function insertRunningExecution(row: {
  taskId: string;
  teamId: string;
  stepKey: string;
  agentKind: string;
  /** The team agent's version this attempt runs; null for built-ins. */
  agentVersion: { id: string; version: number } | null;
  attempt: number;
  input: Record<string, unknown>;
}) {
  const { rows } = await query<
    {
      id: string | null;
      restarted: boolean;
      resumed: boolean | null;
      toolsNeedingApproval: string[] | null;
      hasMcpServers: boolean;
      modelSettings: TaskModelSettings | null;
    } & AppendedEvents
  >(
    `WITH running AS (SELECT 1 FROM "Task" WHERE id = $2 AND status = 'running'),
     execution AS (
       INSERT INTO "AgentExecution" (id, "taskId", "teamId", "stepKey", "agentKind", attempt, status, input, "startedAt", "createdAt", "agentVersion", "agentVersionId")
       SELECT $1, $2, $3, $4::text, $5::text, $6::int, 'running', $7::jsonb, $8::timestamp, $8::timestamp, $9::int, $10::text FROM running
       ON CONFLICT ("taskId", "stepKey", attempt) DO UPDATE SET status = 'running', "startedAt" = EXCLUDED."startedAt", error = NULL
       RETURNING id, (xmax <> 0) AS resumed
     ), ${appendRunEventsSql({
       taskId: "$2",
       types: `CASE WHEN ${RESTARTED} THEN ARRAY['agent.restarted', 'agent.started']::text[] ELSE ARRAY['agent.started']::text[] END`,
       payloads: `CASE WHEN ${RESTARTED}
         THEN ARRAY[(SELECT jsonb_build_object('stepId', $4::text, 'agent', $5::text, 'executionId', id, 'attempt', $6::int,
                      'reason', CASE WHEN resumed THEN 'resumed' ELSE 'retried' END) FROM execution), ${STARTED_PAYLOAD}]
         ELSE ARRAY[${STARTED_PAYLOAD}] END`,
       guard: "EXISTS (SELECT 1 FROM execution)",
     })}
     SELECT (SELECT id FROM execution) AS id, ${RESTARTED} AS restarted, (SELECT resumed FROM execution) AS resumed,
       (SELECT "toolsNeedingApproval" FROM "Team" WHERE id = $3) AS "toolsNeedingApproval",
       EXISTS (SELECT 1 FROM "McpServer" WHERE "teamId" = $3 AND enabled AND ("allAgents" OR $5::text = ANY("allowedAgents"))) AS "hasMcpServers",
       ${taskModelSettingsSql("$2")} AS "modelSettings",
       ${APPENDED_COLUMNS}`,
    [
      newRowId(),
      row.taskId,
      row.teamId,
      row.stepKey,
      row.agentKind,
      row.attempt,
      JSON.stringify(row.input),
      new Date().toISOString(),
      row.agentVersion?.version ?? null,
      row.agentVersion?.id ?? null,
    ],
  );
  return rows[0]!;
}

/**
 * Stores a completed execution and appends `events` followed by `task.progress` (how many of
 * the task's executions are now completed, of `totalSteps`), in one statement. `firstSeq` is
 * null when the task does not exist.
 */
export async function markExecutionCompleted(
  id: string,
  taskId: string,
  result: { output: Record<string, unknown>; modelId: string; inputTokens: number; outputTokens: number; costUsd: number },
  events: readonly NewRunEvent[],
  totalSteps: number,
) {
  const { rows } = await query<{
    completed: number;
    firstSeq: number | null;
    appendedAt: string;
    agentKind: string | null;
    durationSeconds: number | null;
  }>(
    `WITH done AS (
       UPDATE "AgentExecution"
       SET status = 'completed', output = $2::jsonb, "modelId" = $3, "inputTokens" = $4, "outputTokens" = $5, "costUsd" = $6, "completedAt" = $8::timestamp
       WHERE id = $1 RETURNING id, "agentKind", extract(epoch FROM $8::timestamp - "startedAt")::float8 AS "durationSeconds"
     ), progress AS (
       SELECT (SELECT count(*) FROM "AgentExecution" WHERE "taskId" = $7 AND status = 'completed' AND id <> $1)
            + (SELECT count(*) FROM done) AS completed
     ), ${appendRunEventsSql({
       taskId: "$7",
       types: "$9::text[]",
       payloads:
         "array_append($10::jsonb[], (SELECT jsonb_build_object('completedSteps', completed, 'totalSteps', $11::int) FROM progress))",
     })}
     SELECT (SELECT completed FROM progress)::int AS completed, ${APPENDED_COLUMNS},
       (SELECT "agentKind" FROM done) AS "agentKind", (SELECT "durationSeconds" FROM done) AS "durationSeconds"`,
    [
      id,
      JSON.stringify(result.output),
      result.modelId,
      result.inputTokens,
      result.outputTokens,
      result.costUsd,
      taskId,
      new Date().toISOString(),
      [...events.map((event) => event.type), "task.progress"],
      events.map((event) => JSON.stringify(event.payload ?? {})),
      totalSteps,
    ],
  );
  const { agentKind, durationSeconds, ...completed } = rows[0]!;
  if (agentKind !== null) countAgentExecution(agentKind, "completed", durationSeconds ?? undefined);
  return completed;
}

/** Ends an attempt that did not complete; `output` (a cancelled attempt's partial text) is kept if given. */
export async function markExecutionEnded(id: string, status: "failed" | "cancelled", error: string, output?: Record<string, unknown>) {
  const { rows } = await query<{ agentKind: string; durationSeconds: number | null }>(
    `UPDATE "AgentExecution" SET status = $2::"ExecutionStatus", error = $3, output = COALESCE($4::jsonb, output), "completedAt" = $5::timestamp
     WHERE id = $1 RETURNING "agentKind", extract(epoch FROM $5::timestamp - "startedAt")::float8 AS "durationSeconds"`,
    [id, status, error, output === undefined ? null : JSON.stringify(output), new Date().toISOString()],
  );
  for (const row of rows) countAgentExecution(row.agentKind, status, row.durationSeconds ?? undefined);
}

/** A team's task's completed executions, latest attempt first (what a rerun may reuse). */
export async function listCompletedExecutions(teamId: string, taskId: string) {
  return getDb().agentExecution.findMany({ where: { taskId, teamId, status: "completed" }, orderBy: { attempt: "desc" } });
}
