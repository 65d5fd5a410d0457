import type { PendingApproval } from "@/server/llm/run-text-stream";
import type { ToolDecision } from "@/server/agents";
import { expireAwaitingToolCalls, readToolDecisionRows } from "@/server/db/queries/tool-calls";
import { getEnv } from "@/server/env";

/**
 * The durable agent function's side of tool-call approval: what members decided about a parked
 * execution's calls (read from the calls' rows, where the decision service stores them), when
 * the calls fall due, and denying what is still undecided when they do.
 */

export interface ToolDecisionState {
  decisions: ToolDecision[];
  /** Calls nobody has decided yet. */
  undecided: string[];
  /** When undecided calls are denied (ms since the epoch). */
  dueAt: number;
}

export async function readToolDecisions(executionId: string, approvals: readonly PendingApproval[]): Promise<ToolDecisionState> {
  const rows = await readToolDecisionRows(
    executionId,
    approvals.map((approval) => approval.callId),
  );
  const byCall = new Map(rows.map((row) => [row.callId, row]));
  const decisions: ToolDecision[] = [];
  const undecided: string[] = [];
  let parkedAt = Number.POSITIVE_INFINITY;
  for (const approval of approvals) {
    const row = byCall.get(approval.callId);
    if (row) parkedAt = Math.min(parkedAt, Date.parse(row.startedAt));
    if (!row || row.status === "awaiting_approval") {
      undecided.push(approval.callId);
      continue;
    }
    const decision = row.decision ?? {};
    decisions.push({
      approvalId: approval.approvalId,
      approved: row.status === "approved",
      ...(row.status === "approved" && decision.input !== undefined ? { input: decision.input } : {}),
      ...(typeof decision.reason === "string" ? { reason: decision.reason } : {}),
    });
  }
  const timeoutMs = getEnv().CHORUS_APPROVAL_TIMEOUT_SECONDS * 1000;
  return { decisions, undecided, dueAt: (Number.isFinite(parkedAt) ? parkedAt : Date.now()) + timeoutMs };
}

/** Denies the calls still waiting once their time is up (open streams read the events at their next poll). */
export async function expireToolApprovals(taskId: string, executionId: string): Promise<string[]> {
  const hours = Math.round((getEnv().CHORUS_APPROVAL_TIMEOUT_SECONDS / 3600) * 10) / 10;
  return expireAwaitingToolCalls(taskId, executionId, `No decision within ${hours} h`);
}
