import { listCustomAgentRows } from "@/server/db/queries/agent-definitions";
import { recordAudit } from "@/server/audit/record-audit";
import { insertTask } from "@/server/db/queries/tasks";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { AppError } from "@/server/errors";
import { publishRunEvents } from "@/server/events/run-events";
import { BUILT_IN_AGENT_KINDS, MAX_SUBTASK_LENGTH } from "@/server/agents";
import { currentAgentVersions } from "@/server/orchestration/team-agents";
import { parseInput } from "@/server/validation";
import { cutText } from "@/server/text/cut-text";
import { z } from "zod";
import { scheduleTask } from "./tasks";
import { presentNewTask, type TaskView } from "./task-views";
import { taskTraceOrigin } from "@/server/observability/tracing";

/**
 * "Try it": runs one agent alone on a prompt, as a real task — stored, streamed, costed and
 * listed like any other — whose plan is fixed in advance to one step for that agent, so the
 * coordinator skips the planner (it runs a stored plan as it does a rerun's). The plan records
 * the version of a team agent the member was looking at, and the step runs exactly that one.
 */
export const tryAgentInput = z.object({
  prompt: z
    .string({ error: "prompt is required and must be a string" })
    .trim()
    .min(1, "prompt must not be empty")
    .max(MAX_SUBTASK_LENGTH, `prompt must be at most ${MAX_SUBTASK_LENGTH} characters`),
});

export async function tryAgent(caller: Caller, kind: unknown, rawInput: unknown): Promise<TaskView> {
  requirePermission(caller, "execute");
  const agentKind = typeof kind === "string" ? kind : "";
  const teamAgents = BUILT_IN_AGENT_KINDS.includes(agentKind) ? [] : await listCustomAgentRows(caller.teamId);
  const teamAgent = teamAgents.find((row) => row.kind === agentKind);
  if (!BUILT_IN_AGENT_KINDS.includes(agentKind) && !teamAgent) {
    throw new AppError("not_found", `No agent "${agentKind.slice(0, 40)}"`, "kind");
  }
  const input = parseInput(tryAgentInput, rawInput);
  const plan = {
    steps: [{ id: agentKind, agent: agentKind, subtask: input.prompt, dependsOn: [], reason: "Try it: this agent runs alone" }],
    source: "try",
    notes: [`Try it: ${agentKind} alone, without planning`],
    agentVersions: teamAgent ? currentAgentVersions([teamAgent]) : {},
  };
  const createdPayload = { prompt: cutText(input.prompt, 200), agent: agentKind };
  const { eventCreatedAt, ...row } = await insertTask({
    teamId: caller.teamId,
    createdById: caller.userId ?? null,
    apiKeyId: caller.apiKeyId ?? null,
    prompt: input.prompt,
    template: null,
    requireApproval: false,
    createdAt: new Date().toISOString(),
    createdEventPayload: createdPayload,
    plan,
    trace: taskTraceOrigin(),
  });
  publishRunEvents(row.id, [{ seq: 1, type: "task.created", payload: createdPayload, createdAt: eventCreatedAt }]);
  await recordAudit(caller, { action: "task.created", target: { type: "task", id: row.id }, details: { tryAgent: agentKind } });
  await scheduleTask({ id: row.id, teamId: caller.teamId, traceId: row.traceId });
  return presentNewTask(row);
}
