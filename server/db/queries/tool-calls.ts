import { getDb, query } from "@/server/db/client";
import { newRowId } from "@/server/db/row-id";
import { utcIsoSql } from "@/server/db/stored-time";
import { APPENDED_COLUMNS, appendRunEventsSql, type AppendedEvents } from "./run-events";

/**
 * Tool calls, `ToolCall`: one row per call an agent made to a tool during an execution. Like the
 * execution writes, each write is one plain-SQL round trip that also appends the call's run event
 * (`agent.tool_call` when it starts, `agent.tool_result` when it ends), so the record and the live
 * stream never disagree and a call costs two statements however it ends. Keyed by the ids the
 * agent step was given; the reads a member's request makes filter by team.
 */

export interface StartedToolCall {
  teamId: string;
  taskId: string;
  executionId: string;
  stepKey: string;
  callId: string;
  tool: string;
  input: unknown;
}

export interface EndedToolCall {
  status: "succeeded" | "failed" | "refused";
  outputExcerpt: string | null;
  error: string | null;
  attempts: number;
  durationMs: number;
}

/**
 * Records a call as running and appends `event` (its payload as given) in one statement. A step
 * resumed after a crash may replay a call the model made before: the row is then reset rather
 * than duplicated.
 */
export async function insertStartedToolCall(call: StartedToolCall, eventPayload: Record<string, unknown>) {
  const { rows } = await query<{ id: string } & AppendedEvents>(
    `WITH call AS (
       INSERT INTO "ToolCall" (id, "teamId", "taskId", "executionId", "stepKey", "callId", tool, input, status, "startedAt")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, 'running', $9::timestamp)
       ON CONFLICT ("executionId", "callId") DO UPDATE SET status = 'running', input = EXCLUDED.input, "startedAt" = EXCLUDED."startedAt",
         "outputExcerpt" = NULL, error = NULL, "completedAt" = NULL
       RETURNING id
     ), ${appendRunEventsSql({ taskId: "$3", types: "ARRAY['agent.tool_call']::text[]", payloads: "ARRAY[$10::jsonb]" })}
     SELECT (SELECT id FROM call) AS id, ${APPENDED_COLUMNS}`,
    [
      newRowId(),
      call.teamId,
      call.taskId,
      call.executionId,
      call.stepKey,
      call.callId,
      call.tool,
      JSON.stringify(call.input ?? null),
      new Date().toISOString(),
      JSON.stringify(eventPayload),
    ],
  );
  return rows[0]!;
}

/** Stores how a call ended and appends `agent.tool_result` (its payload as given) in one statement. */
export async function markToolCallEnded(id: string, taskId: string, ended: EndedToolCall, eventPayload: Record<string, unknown>) {
  const { rows } = await query<AppendedEvents>(
    `WITH ended AS (
       UPDATE "ToolCall" SET status = $3, "outputExcerpt" = $4, error = $5, attempts = $6, "durationMs" = $7, "completedAt" = $8::timestamp
       WHERE id = $1 RETURNING id
     ), ${appendRunEventsSql({ taskId: "$2", types: "ARRAY['agent.tool_result']::text[]", payloads: "ARRAY[$9::jsonb]" })}
     SELECT ${APPENDED_COLUMNS}`,
    [
      id,
      taskId,
      ended.status,
      ended.outputExcerpt,
      ended.error,
      ended.attempts,
      Math.round(ended.durationMs),
      new Date().toISOString(),
      JSON.stringify(eventPayload),
    ],
  );
  return rows[0]!;
}

/** A team's task's tool calls, in the order they were made. */
export async function listTaskToolCalls(teamId: string, taskId: string) {
  return getDb().toolCall.findMany({
    where: { teamId, taskId },
    orderBy: [{ startedAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      executionId: true,
      stepKey: true,
      callId: true,
      tool: true,
      input: true,
      status: true,
      outputExcerpt: true,
      error: true,
      attempts: true,
      durationMs: true,
      startedAt: true,
      completedAt: true,
    },
  });
}

// ── Tool calls waiting for a person's approval ──────────────────────────────────────────────

export interface AwaitingToolCall {
  callId: string;
  approvalId: string;
  tool: string;
  input: unknown;
}

/**
 * Parks an execution at tool calls that need approval: a row per call in 'awaiting_approval',
 * the execution in 'awaiting_tool_approval' with what it wrote so far, and one
 * `agent.tool_approval_requested` event per call (payloads as given, in order) — one statement.
 */
export async function insertAwaitingToolCalls(
  step: { teamId: string; taskId: string; executionId: string; stepKey: string; partialOutput: Record<string, unknown> },
  calls: readonly AwaitingToolCall[],
  eventPayloads: readonly Record<string, unknown>[],
) {
  const now = new Date().toISOString();
  const { rows } = await query<AppendedEvents>(
    `WITH calls AS (
       INSERT INTO "ToolCall" (id, "teamId", "taskId", "executionId", "stepKey", "callId", tool, input, status, "approvalId", "startedAt")
       SELECT c.id, $1, $2, $3, $4, c."callId", c.tool, c.input, 'awaiting_approval', c."approvalId", $6::timestamp
       FROM jsonb_to_recordset($5::jsonb) AS c(id text, "callId" text, tool text, input jsonb, "approvalId" text)
       ON CONFLICT ("executionId", "callId") DO UPDATE SET status = 'awaiting_approval', "approvalId" = EXCLUDED."approvalId",
         input = EXCLUDED.input, decision = NULL, "completedAt" = NULL
       RETURNING id
     ), parked AS (
       UPDATE "AgentExecution" SET status = 'awaiting_tool_approval', output = $7::jsonb WHERE id = $3 RETURNING id
     ), ${appendRunEventsSql({ taskId: "$2", types: "$8::text[]", payloads: "$9::jsonb[]" })}
     SELECT ${APPENDED_COLUMNS}`,
    [
      step.teamId,
      step.taskId,
      step.executionId,
      step.stepKey,
      JSON.stringify(calls.map((call) => ({ ...call, id: newRowId(), input: call.input ?? null }))),
      now,
      JSON.stringify(step.partialOutput),
      eventPayloads.map(() => "agent.tool_approval_requested"),
      eventPayloads.map((payload) => JSON.stringify(payload)),
    ],
  );
  return rows[0]!;
}

/** The team's task's tool call, if it is waiting for a decision. */
export async function findAwaitingToolCall(teamId: string, taskId: string, callId: string) {
  return getDb().toolCall.findFirst({
    where: { teamId, taskId, callId, status: "awaiting_approval" },
    select: { id: true, executionId: true, stepKey: true, callId: true, tool: true, input: true },
  });
}

/**
 * Stores a decision on a call that is still waiting, and appends `agent.tool_decided` — one
 * statement, so of two members deciding at once exactly one wins. `firstSeq` is null when the
 * call was no longer waiting.
 */
export async function recordToolDecision(
  teamId: string,
  taskId: string,
  callId: string,
  decision: { status: "approved" | "denied"; record: Record<string, unknown> },
  eventPayload: Record<string, unknown>,
) {
  const { rows } = await query<AppendedEvents & { executionId: string | null }>(
    `WITH decided AS (
       UPDATE "ToolCall" SET status = $4, decision = $5::jsonb
       WHERE "teamId" = $1 AND "taskId" = $2 AND "callId" = $3 AND status = 'awaiting_approval'
       RETURNING "executionId"
     ), ${appendRunEventsSql({ taskId: "$2", types: "ARRAY['agent.tool_decided']::text[]", payloads: "ARRAY[$6::jsonb]", guard: "EXISTS (SELECT 1 FROM decided)" })}
     SELECT (SELECT "executionId" FROM decided) AS "executionId", ${APPENDED_COLUMNS}`,
    [teamId, taskId, callId, decision.status, JSON.stringify(decision.record), JSON.stringify(eventPayload)],
  );
  return rows[0]!;
}

/** The state of an execution's calls that waited for approval: decided ones carry their decision. */
export async function readToolDecisionRows(executionId: string, callIds: readonly string[]) {
  const { rows } = await query<{
    callId: string;
    approvalId: string | null;
    status: string;
    decision: Record<string, unknown> | null;
    startedAt: string;
  }>(
    `SELECT "callId", "approvalId", status, decision, ${utcIsoSql('"startedAt"')} AS "startedAt"
     FROM "ToolCall" WHERE "executionId" = $1 AND "callId" = ANY($2::text[])`,
    [executionId, [...callIds]],
  );
  return rows;
}

/** Denies an execution's calls still waiting when their time ran out, with one `agent.tool_decided` each. */
export async function expireAwaitingToolCalls(taskId: string, executionId: string, reason: string) {
  const { rows } = await query<{ callIds: string[] | null }>(
    `WITH expired AS (
       UPDATE "ToolCall" SET status = 'denied', decision = jsonb_build_object('expired', true, 'reason', $3::text, 'decidedAt', $4::text)
       WHERE "executionId" = $2 AND status = 'awaiting_approval' RETURNING "callId", "stepKey"
     ), ${appendRunEventsSql({
       taskId: "$1",
       types: "(SELECT COALESCE(array_agg('agent.tool_decided'::text), ARRAY[]::text[]) FROM expired)",
       payloads: `(SELECT COALESCE(array_agg(jsonb_build_object('stepId', "stepKey", 'callId', "callId", 'approved', false, 'expired', true, 'reason', $3::text)), ARRAY[]::jsonb[]) FROM expired)`,
       guard: "EXISTS (SELECT 1 FROM expired)",
     })}
     SELECT (SELECT array_agg("callId") FROM expired) AS "callIds"`,
    [taskId, executionId, reason, new Date().toISOString()],
  );
  return rows[0]?.callIds ?? [];
}

/** An execution that was waiting for approvals runs again. */
export async function markExecutionResumed(executionId: string) {
  await query(`UPDATE "AgentExecution" SET status = 'running' WHERE id = $1 AND status = 'awaiting_tool_approval'`, [executionId]);
}

/** A cancelled task's waiting calls and executions end as cancelled (their runs were stopped while parked). */
export async function cancelAwaitingToolCalls(teamId: string, taskId: string) {
  const now = new Date().toISOString();
  await query(
    `WITH calls AS (
       UPDATE "ToolCall" SET status = 'cancelled', "completedAt" = $3::timestamp WHERE "teamId" = $1 AND "taskId" = $2 AND status = 'awaiting_approval'
     )
     UPDATE "AgentExecution" SET status = 'cancelled', error = 'Cancelled', "completedAt" = $3::timestamp
     WHERE "teamId" = $1 AND "taskId" = $2 AND status = 'awaiting_tool_approval'`,
    [teamId, taskId, now],
  );
}
