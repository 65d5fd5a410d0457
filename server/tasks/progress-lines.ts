import type { RunEvent } from "@/server/db/queries/run-events";
import { cutTextWithEllipsis } from "@/server/text/cut-text";

/**
 * A task's progress as short lines of text, for surfaces that show progress as prose: the
 * OpenAI-compatible stream's `delta.reasoning_content` (where chat UIs show a model's thinking)
 * and the MCP server's progress notifications. Planned, each step started, its tool calls,
 * finished or failed. Agents' own tokens are left out — parallel steps would interleave
 * mid-sentence — and so is the result, which those surfaces deliver as the answer.
 */
type Payload = Record<string, unknown>;

const text = (value: unknown, max = 160) =>
  cutTextWithEllipsis(
    String(value ?? "")
      .replace(/\s+/g, " ")
      .trim(),
    max,
  );
const attemptNote = (payload: Payload) =>
  typeof payload.attempt === "number" && payload.attempt > 1 ? ` (attempt ${payload.attempt})` : "";

export function progressLine(event: Pick<RunEvent, "type" | "payload">): string | undefined {
  const payload = (event.payload ?? {}) as Payload;
  switch (event.type) {
    case "task.created":
      return "Task created: planning.\n";
    case "task.planned": {
      const steps = Array.isArray(payload.steps) ? (payload.steps as Payload[]) : [];
      const lines = steps.map((step, index) => `${index + 1}. ${text(step.agent, 40)}: ${text(step.subtask)}`);
      const waiting = payload.awaitingApproval ? "\nWaiting for a member to approve the plan in Chorus." : "";
      return `Planned ${steps.length} step${steps.length === 1 ? "" : "s"}:\n${lines.join("\n")}${waiting}\n`;
    }
    case "task.approved":
      return "Plan approved.\n";
    case "task.replanned": {
      const added = Array.isArray(payload.added) ? payload.added.map((step) => text(step, 40)) : [];
      return `Follow-up step${added.length === 1 ? "" : "s"} added: ${added.join(", ")}.\n`;
    }
    case "agent.restarted":
      return `↻ ${text(payload.agent, 40)} starts again${attemptNote(payload)}; its earlier partial output is discarded.\n`;
    case "agent.started":
      return `▶ ${text(payload.agent, 40)} started${attemptNote(payload)}.\n`;
    case "agent.tool_call":
      return `  ${text(payload.agent, 40)} calls ${text(payload.tool, 60)}.\n`;
    case "agent.tool_approval_requested":
      return `  ${text(payload.agent, 40)} waits for a member to approve a call to ${text(payload.tool, 60)} in Chorus.\n`;
    case "agent.completed": {
      const usage = (payload.usage ?? {}) as Payload;
      const tokens = Number(usage.inputTokens ?? 0) + Number(usage.outputTokens ?? 0);
      return `✓ ${text(payload.agent, 40)} finished${tokens > 0 ? ` (${tokens} tokens)` : ""}.\n`;
    }
    case "agent.failed":
      return `✗ ${text(payload.agent, 40)} failed${attemptNote(payload)}: ${text(payload.error, 300)}\n`;
    case "task.budget_warning":
      return "Most of the task's budget is spent.\n";
    default:
      return undefined;
  }
}
