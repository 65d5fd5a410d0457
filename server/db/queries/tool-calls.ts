import { getDb, query } from "@/server/db/client";
import { newRowId } from "@/server/db/row-id";
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
