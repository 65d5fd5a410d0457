import { findAwaitingToolCall, recordToolDecision } from "@/server/db/queries/tool-calls";
import { recordAudit } from "@/server/audit/record-audit";
import { actorOf, requirePermission, type Caller } from "@/server/auth/caller";
import { AppError } from "@/server/errors";
import { publishAppended } from "@/server/events/run-events";
import { sendToolDecided } from "@/inngest/client";
import { toolInputSchema } from "@/server/agents";
import { parseInput } from "@/server/validation";
import { approveToolCallInput, denyToolCallInput, toolCallIdSchema } from "./task-schemas";
import { getTask, loadTaskInTeam } from "./tasks";
import type { TaskView } from "./task-views";

/**
 * A member's decision on a tool call an agent is waiting on: approve it (as called, or with
 * edited input) or deny it. Needs "execute". The decision is stored on the call first — one
 * statement, so of two members deciding at once one wins and the other gets a 409 — and only
 * then is the waiting step woken, so a decision is never lost to a race with the wait.
 */

export async function approveToolCall(caller: Caller, taskId: string, callId: string, rawInput: unknown): Promise<TaskView> {
  requirePermission(caller, "execute");
  const input = parseInput(approveToolCallInput, rawInput);
  const call = await loadAwaitingCall(caller, taskId, callId);
  if (input.input !== undefined) {
    const schema = toolInputSchema(call.tool);
    if (schema) {
      const checked = schema.safeParse(input.input);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        const where = ["input", ...(issue?.path ?? [])].join(".");
        throw new AppError("bad_request", `${where}: ${issue?.message ?? "does not match the tool's arguments"}`, where);
      }
    }
  }
  return decide(caller, taskId, call, {
    status: "approved",
    record: { approved: true, ...(input.input !== undefined ? { input: input.input, edited: true } : {}), ...actorOf(caller) },
  });
}

export async function denyToolCall(caller: Caller, taskId: string, callId: string, rawInput: unknown): Promise<TaskView> {
  requirePermission(caller, "execute");
  const input = parseInput(denyToolCallInput, rawInput);
  const call = await loadAwaitingCall(caller, taskId, callId);
  return decide(caller, taskId, call, {
    status: "denied",
    record: { approved: false, reason: input.reason ?? "Denied by a member of the team", ...actorOf(caller) },
  });
}

async function loadAwaitingCall(caller: Caller, taskId: string, rawCallId: string) {
  const task = await loadTaskInTeam(caller, taskId);
  const callId = parseInput(toolCallIdSchema, rawCallId);
  const call = await findAwaitingToolCall(caller.teamId, task.id, callId);
  if (!call) throw new AppError("not_found", `No tool call "${callId}" is waiting for a decision on this task`, "callId");
  return { ...call, taskId: task.id };
}

async function decide(
  caller: Caller,
  taskId: string,
  call: { callId: string; stepKey: string; tool: string; executionId: string; taskId: string },
  decision: { status: "approved" | "denied"; record: Record<string, unknown> },
): Promise<TaskView> {
  const record: Record<string, unknown> = { ...decision.record, decidedAt: new Date().toISOString() };
  const payload = {
    stepId: call.stepKey,
    callId: call.callId,
    tool: call.tool,
    approved: decision.status === "approved",
    edited: record.edited === true,
    ...(typeof record.reason === "string" ? { reason: record.reason } : {}),
  };
  const stored = await recordToolDecision(caller.teamId, call.taskId, call.callId, { status: decision.status, record }, payload);
  if (stored.firstSeq === null || stored.appendedAt === null) {
    throw new AppError("conflict", `Tool call "${call.callId}" was already decided`, "callId");
  }
  publishAppended(call.taskId, [{ type: "agent.tool_decided", payload }], { firstSeq: stored.firstSeq, appendedAt: stored.appendedAt });
  await recordAudit(caller, {
    action: decision.status === "approved" ? "task.tool_call_approved" : "task.tool_call_denied",
    target: { type: "task", id: call.taskId },
    details: { callId: call.callId, tool: call.tool, stepId: call.stepKey, edited: record.edited === true },
  });
  await sendToolDecided({ taskId: call.taskId, executionId: call.executionId, callId: call.callId });
  return getTask(caller, taskId);
}
