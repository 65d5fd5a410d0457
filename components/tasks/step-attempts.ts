import type { TaskView } from "@/server/tasks/task-views";
import type { AgentView, ToolCallView } from "./task-progress";

/**
 * Every attempt of every step, as the timeline and the step details show them (pure, so it is
 * unit-tested): the task's stored executions (one per attempt, read with the page) overlaid with
 * the live stream's view of each step's current attempt. The stream only knows a step's latest
 * attempt, so the page keeps the attempts it has seen (rememberAttempts) — a failed attempt stays
 * on the timeline after its retry starts.
 */

export interface StepAttempt {
  /** `${stepId}#${attempt}` */
  key: string;
  stepId: string;
  agent: string;
  attempt: number;
  status: string;
  startedAt: string | null;
  completedAt: string | null;
  error?: string;
  modelId?: string;
  usage?: { inputTokens: number; outputTokens: number; costUsd: number };
  cached?: boolean;
  /** What the attempt was given (stored with it): its subtask and the steps that fed it. */
  input?: { subtask?: string; dependsOn?: string[] };
  toolCalls: ToolCallView[];
}

type StoredExecution = TaskView["executions"][number];

const keyOf = (stepId: string, attempt: number) => `${stepId}#${attempt}`;

function storedInput(input: unknown): StepAttempt["input"] {
  if (!input || typeof input !== "object") return undefined;
  const { subtask, dependsOn } = input as { subtask?: unknown; dependsOn?: unknown };
  return {
    ...(typeof subtask === "string" ? { subtask } : {}),
    ...(Array.isArray(dependsOn) ? { dependsOn: dependsOn.map(String) } : {}),
  };
}

const toolCallStatuses = new Set<ToolCallView["status"]>([
  "running",
  "succeeded",
  "failed",
  "refused",
  "awaiting_approval",
  "approved",
  "denied",
]);

function storedToolCall(call: StoredExecution["toolCalls"][number]): ToolCallView {
  return {
    callId: call.callId,
    tool: call.tool,
    input: call.input,
    status: toolCallStatuses.has(call.status as ToolCallView["status"]) ? (call.status as ToolCallView["status"]) : "failed",
    ...(call.excerpt !== null ? { excerpt: call.excerpt } : {}),
    ...(call.error !== null ? { error: call.error } : {}),
    ...(call.durationMs !== null ? { durationMs: call.durationMs } : {}),
  };
}

/** The attempts the task's stored executions describe; a step a rerun reused did not run here, so it has none. */
export function attemptsFromExecutions(executions: readonly StoredExecution[]): StepAttempt[] {
  return executions
    .filter((execution) => execution.reusedFromId === null)
    .map((execution) => ({
      key: keyOf(execution.stepId, execution.attempt),
      stepId: execution.stepId,
      agent: execution.agent,
      attempt: execution.attempt,
      status: execution.status === "awaiting_tool_approval" ? "awaiting_approval" : execution.status,
      startedAt: execution.startedAt,
      completedAt: execution.completedAt,
      ...(execution.error ? { error: execution.error } : {}),
      ...(execution.modelId ? { modelId: execution.modelId } : {}),
      ...(execution.status === "completed" || execution.usage.inputTokens + execution.usage.outputTokens > 0
        ? { usage: execution.usage }
        : {}),
      ...(execution.cached ? { cached: true } : {}),
      ...(storedInput(execution.input) ? { input: storedInput(execution.input) } : {}),
      toolCalls: execution.toolCalls.map(storedToolCall),
    }));
}

const stillGoing = new Set(["running", "awaiting_approval"]);

/**
 * The stored attempts with each step's current attempt as the stream tells it laid over them
 * (the stream is newer). An attempt that ended without an end time of its own (the task was
 * cancelled under it) ends when the task did.
 */
export function withLiveAttempts(
  stored: readonly StepAttempt[],
  agents: Readonly<Record<string, AgentView>>,
  taskFinishedAt: string | null | undefined,
): StepAttempt[] {
  const byKey = new Map(stored.map((attempt) => [attempt.key, attempt]));
  for (const agent of Object.values(agents)) {
    if (agent.reused || agent.status === "waiting" || !agent.startedAt) continue;
    const key = keyOf(agent.stepId, agent.attempt);
    const known = byKey.get(key);
    byKey.set(key, {
      ...known,
      key,
      stepId: agent.stepId,
      agent: agent.agent,
      attempt: agent.attempt,
      status: agent.status,
      // The stored row's times are the attempt's own; the events' are when they were logged, a moment later.
      startedAt: known?.startedAt ?? agent.startedAt,
      completedAt: known?.completedAt ?? agent.completedAt ?? (stillGoing.has(agent.status) ? null : (taskFinishedAt ?? agent.startedAt)),
      ...(agent.error ? { error: agent.error } : {}),
      ...(agent.modelId ? { modelId: agent.modelId } : {}),
      ...(agent.usage ? { usage: agent.usage } : {}),
      ...(agent.cached ? { cached: true } : {}),
      toolCalls: agent.toolCalls ?? known?.toolCalls ?? [],
    });
  }
  for (const [key, attempt] of byKey) {
    // Read with the page while it ran, and since retried: it failed when the retry started.
    const retry = agents[attempt.stepId];
    if (stillGoing.has(attempt.status) && retry?.startedAt && retry.attempt > attempt.attempt && !retry.reused)
      byKey.set(key, { ...attempt, status: "failed", completedAt: attempt.completedAt ?? retry.startedAt });
  }
  for (const [key, attempt] of byKey)
    if (stillGoing.has(attempt.status) && taskFinishedAt)
      byKey.set(key, { ...attempt, status: "cancelled", completedAt: attempt.completedAt ?? taskFinishedAt });
  return [...byKey.values()].sort(byStart);
}

function byStart(a: StepAttempt, b: StepAttempt): number {
  return (a.startedAt ?? "").localeCompare(b.startedAt ?? "") || a.stepId.localeCompare(b.stepId) || a.attempt - b.attempt;
}

const signature = (attempt: StepAttempt) =>
  [
    attempt.status,
    attempt.startedAt,
    attempt.completedAt,
    attempt.error,
    attempt.modelId,
    attempt.usage?.outputTokens,
    attempt.toolCalls.length,
  ].join("|");

/**
 * The attempts seen so far joined with the current ones (current wins): `remembered` itself when
 * nothing changed, so a component can keep it in state and update it only on change.
 */
export function rememberAttempts(remembered: readonly StepAttempt[], current: readonly StepAttempt[]): readonly StepAttempt[] {
  const known = new Map(remembered.map((attempt) => [attempt.key, attempt]));
  if (current.every((attempt) => known.has(attempt.key) && signature(known.get(attempt.key)!) === signature(attempt))) return remembered;
  for (const attempt of current) known.set(attempt.key, attempt);
  return [...known.values()].sort(byStart);
}
