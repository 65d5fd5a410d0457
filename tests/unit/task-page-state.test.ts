import { describe, expect, it } from "vitest";
import {
  agentsFromExecutions,
  applyProgressEvent,
  initialProgress,
  stepsARerunReuses,
  storedPlanSteps,
} from "@/components/tasks/task-progress";
import { presentTaskSummary } from "@/server/tasks/task-views";

/** What the task page draws from a task as stored, before (or without) its event stream. */
const steps = [
  { id: "research", agent: "research", subtask: "find", dependsOn: [], reason: "gathers" },
  { id: "analysis", agent: "analysis", subtask: "compare", dependsOn: ["research"], reason: "compares" },
  { id: "synthesis", agent: "synthesis", subtask: "write", dependsOn: ["analysis"], reason: "writes" },
];

function execution(stepId: string, status: string, attempt = 1, text = `${stepId} output`) {
  return {
    stepId,
    agent: stepId,
    status,
    attempt,
    output: { text },
    error: status === "failed" ? "model refused" : null,
    reusedFromId: null,
    usage: { inputTokens: 10, outputTokens: 20, costUsd: 0.01 },
    cached: false,
    modelId: "offline",
    startedAt: "2026-12-07T10:00:00.000Z",
    completedAt: status === "running" ? null : "2026-12-07T10:00:05.000Z",
  };
}

describe("the task page from stored data", () => {
  it("reads the plan's steps from the stored plan, and nothing from a task never planned", () => {
    expect(storedPlanSteps({ steps, source: "model" })).toEqual(steps);
    expect(storedPlanSteps(null)).toEqual([]);
    expect(storedPlanSteps({ steps: [{ id: 3 }, null] })).toEqual([]);
  });

  it("shows each step's latest attempt with its status and output", () => {
    const agents = agentsFromExecutions([
      execution("research", "failed", 1),
      execution("research", "completed", 2),
      execution("analysis", "running"),
    ]);
    expect(agents.research).toMatchObject({ status: "completed", attempt: 2, text: "research output", usage: { outputTokens: 20 } });
    expect(agents.analysis).toMatchObject({ status: "running" });
    expect(agents.analysis?.usage).toBeUndefined();
    expect(agents.synthesis).toBeUndefined();
  });

  it("records when the task finished from its final event", () => {
    const done = applyProgressEvent(initialProgress("running"), {
      seq: 9,
      type: "task.cancelled",
      payload: { error: "Cancelled" },
      createdAt: "2026-12-07T10:01:00.000Z",
    });
    expect(done.finishedAt).toBe("2026-12-07T10:01:00.000Z");
  });
});

describe("a step that starts again", () => {
  const at = "2026-12-07T10:00:00.000Z";
  const fold = (events: Array<[string, Record<string, unknown>]>) =>
    events.reduce(
      (state, [type, payload], index) => applyProgressEvent(state, { seq: index + 1, type, payload, createdAt: at }),
      initialProgress("queued"),
    );
  const planned = (subtask: string): [string, Record<string, unknown>] => [
    "task.planned",
    { steps: steps.map((step) => ({ ...step, subtask })), source: "model" },
  ];

  it("replaces the partial output it had streamed, on a retry or a resume after a crash", () => {
    const view = fold([
      planned("find"),
      ["agent.started", { stepId: "research", agent: "research", attempt: 1 }],
      ["agent.delta", { stepId: "research", text: "Rainwater tanks are" }],
      ["agent.tool_call", { stepId: "research", callId: "c1", tool: "search" }],
      ["agent.restarted", { stepId: "research", agent: "research", attempt: 1, reason: "resumed" }],
      ["agent.delta", { stepId: "research", text: "Tanks " }],
      ["agent.restarted", { stepId: "research", agent: "research", attempt: 2, reason: "retried" }],
      ["agent.started", { stepId: "research", agent: "research", attempt: 2 }],
      ["agent.delta", { stepId: "research", text: "Tanks store rain." }],
    ]);
    expect(view.agents.research).toMatchObject({
      text: "Tanks store rain.",
      attempt: 2,
      restarts: 2,
      restartReason: "retried",
      toolCalls: [],
    });
    expect(view.agents.research!.status).toBe("running");
  });

  it("shows a plan once: a second task.planned replaces the first", () => {
    const view = fold([planned("find"), planned("find again")]);
    expect(view.plan).toHaveLength(3);
    expect(view.plan.map((step) => step.subtask)).toEqual(["find again", "find again", "find again"]);
    expect(view.totalSteps).toBe(3);
  });
});

describe("what a rerun reuses", () => {
  it("reuses the completed steps upstream of the one it reruns from", () => {
    const executions = steps.map((step) => execution(step.id, "completed"));
    expect(stepsARerunReuses(steps, executions, "synthesis")).toEqual(["research", "analysis"]);
    expect(stepsARerunReuses(steps, executions, "analysis")).toEqual(["research"]);
    expect(stepsARerunReuses(steps, executions, "research")).toEqual([]);
  });

  it("reuses nothing after a rejected plan, where no step ever ran", () => {
    expect(stepsARerunReuses(steps, [], "synthesis")).toEqual([]);
    expect(stepsARerunReuses(steps, [execution("research", "failed")], "analysis")).toEqual([]);
  });
});

describe("a task's duration", () => {
  const row = {
    id: "t1",
    prompt: "p",
    template: null,
    requireApproval: true,
    error: null,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: "0",
    createdAt: "2026-12-07T10:00:00.000Z",
    startedAt: "2026-12-07T10:00:00.000Z",
    completedAt: null,
  };

  it("has none while its plan waits for approval, so nothing grows while nobody decides", () => {
    expect(presentTaskSummary({ ...row, status: "awaiting_approval" }).durationMs).toBeNull();
  });

  it("counts while it runs and stops when it finishes", () => {
    expect(presentTaskSummary({ ...row, status: "running" }).durationMs).toBeGreaterThan(0);
    expect(presentTaskSummary({ ...row, status: "completed", completedAt: "2026-12-07T10:00:04.000Z" }).durationMs).toBe(4000);
  });
});
