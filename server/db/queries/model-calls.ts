import { query } from "@/server/db/client";
import { newRowId } from "@/server/db/row-id";

/**
 * Model calls, `ModelCall` rows (server/llm/usage-recording.ts writes one per call): what each
 * call spent and cost. A task's usage is the sum of its rows (server/db/queries/tasks.ts), and
 * the usage API aggregates them per team.
 */

export interface ModelCallRecord {
  teamId: string;
  taskId?: string;
  executionId?: string;
  role: "planner" | "agent" | "aggregator";
  agentKind?: string;
  userId?: string;
  provider: string;
  modelId: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  costUsd: number | null;
  priceKnown: boolean;
  cached: boolean;
  estimated: boolean;
  outcome: "completed" | "failed" | "cancelled";
  startedAt: Date;
  durationMs: number;
}

/** One insert, one round trip; a team deleted meanwhile records nothing. */
export async function insertModelCall(call: ModelCallRecord): Promise<void> {
  await query(
    `INSERT INTO "ModelCall" (id, "teamId", "taskId", "executionId", role, "agentKind", "userId", provider, "modelId",
       "inputTokens", "outputTokens", "cachedInputTokens", "reasoningTokens", "costUsd", "priceKnown", cached, estimated, outcome,
       "startedAt", "durationMs")
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::numeric, $15, $16, $17, $18, $19::timestamp, $20
     WHERE EXISTS (SELECT 1 FROM "Team" WHERE id = $2)`,
    [
      newRowId(),
      call.teamId,
      call.taskId ?? null,
      call.executionId ?? null,
      call.role,
      call.agentKind ?? null,
      call.userId ?? null,
      call.provider,
      call.modelId,
      call.inputTokens,
      call.outputTokens,
      call.cachedInputTokens,
      call.reasoningTokens,
      call.costUsd,
      call.priceKnown,
      call.cached,
      call.estimated,
      call.outcome,
      call.startedAt.toISOString(),
      Math.max(0, Math.round(call.durationMs)),
    ],
  );
}

export type UsageGrouping = "day" | "model" | "agent" | "member";

const GROUP_EXPRESSIONS: Record<UsageGrouping, string> = {
  day: `to_char(date_trunc('day', m."startedAt"), 'YYYY-MM-DD')`,
  model: `m."modelId"`,
  // The planner and the aggregator have no agent kind: they are grouped under their role.
  agent: `COALESCE(m."agentKind", m.role)`,
  member: `COALESCE(m."userId", '')`,
};

export interface UsageGroupRow {
  key: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  costUsd: string;
  unknownPriceCalls: number;
  cacheHits: number;
  estimatedCalls: number;
}

/** A team's model calls started in [from, to), aggregated per group (the grouping expression is one of four fixed texts). */
export async function sumTeamModelCalls(teamId: string, range: { from: Date; to: Date }, groupBy: UsageGrouping): Promise<UsageGroupRow[]> {
  const group = GROUP_EXPRESSIONS[groupBy];
  const { rows } = await query<UsageGroupRow>(
    `SELECT ${group} AS key, count(*)::int AS calls,
       COALESCE(sum(m."inputTokens"), 0)::int AS "inputTokens", COALESCE(sum(m."outputTokens"), 0)::int AS "outputTokens",
       COALESCE(sum(m."cachedInputTokens"), 0)::int AS "cachedInputTokens", COALESCE(sum(m."reasoningTokens"), 0)::int AS "reasoningTokens",
       COALESCE(sum(m."costUsd"), 0)::text AS "costUsd", (count(*) FILTER (WHERE NOT m."priceKnown"))::int AS "unknownPriceCalls",
       (count(*) FILTER (WHERE m.cached))::int AS "cacheHits", (count(*) FILTER (WHERE m.estimated))::int AS "estimatedCalls"
     FROM "ModelCall" m
     WHERE m."teamId" = $1 AND m."startedAt" >= $2::timestamp AND m."startedAt" < $3::timestamp
     GROUP BY 1 ORDER BY 1`,
    [teamId, range.from.toISOString(), range.to.toISOString()],
  );
  return rows;
}

/** A task's model calls, oldest first (the task's usage is their sum). */
export async function listTaskModelCalls(teamId: string, taskId: string) {
  const { rows } = await query<{
    role: string;
    agentKind: string | null;
    executionId: string | null;
    modelId: string;
    inputTokens: number;
    outputTokens: number;
    costUsd: string | null;
    priceKnown: boolean;
    cached: boolean;
    estimated: boolean;
    outcome: string;
  }>(
    `SELECT role, "agentKind", "executionId", "modelId", "inputTokens", "outputTokens", "costUsd"::text AS "costUsd", "priceKnown",
       cached, estimated, outcome
     FROM "ModelCall" WHERE "teamId" = $1 AND "taskId" = $2 ORDER BY "startedAt", id`,
    [teamId, taskId],
  );
  return rows;
}
