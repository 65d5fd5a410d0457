import { describe, expect, it } from "vitest";
import { applyProgressEvent, initialProgress, withReusedSteps, type ProgressEvent } from "@/components/tasks/task-progress";
import { createDeltaCoalescer } from "@/server/orchestration/delta-coalescer";
import { formatDuration } from "@/components/ui/format";

const at = "2026-11-28T10:00:00.000Z";
const events: ProgressEvent[] = [
  { seq: 1, type: "task.created", payload: {}, createdAt: at },
  {
    seq: 2,
    type: "task.planned",
    payload: {
      steps: [
        { id: "research", agent: "research", subtask: "find", dependsOn: [], reason: "gathers" },
        { id: "synthesis", agent: "synthesis", subtask: "write", dependsOn: ["research"], reason: "writes" },
      ],
    },
    createdAt: at,
  },
  { seq: 3, type: "agent.started", payload: { stepId: "research", agent: "research", attempt: 1 }, createdAt: at },
  { seq: 4, type: "agent.delta", payload: { stepId: "research", text: "Hello " }, createdAt: at },
  { seq: 5, type: "agent.delta", payload: { stepId: "research", text: "world" }, createdAt: at },
  {
    seq: 6,
    type: "agent.completed",
    payload: { stepId: "research", usage: { inputTokens: 1, outputTokens: 2, costUsd: 0 } },
    createdAt: at,
  },
  { seq: 7, type: "task.progress", payload: { completedSteps: 1, totalSteps: 2 }, createdAt: at },
];

describe("the live task view", () => {
  it("builds the plan, streams each agent's text and counts progress from events", () => {
    const state = events.reduce(applyProgressEvent, initialProgress("queued"));
    expect(state.status).toBe("running");
    expect(state.plan.map((step) => step.id)).toEqual(["research", "synthesis"]);
    expect(state.agents.research).toMatchObject({ status: "completed", text: "Hello world" });
    expect(state.agents.synthesis?.status).toBe("waiting");
    expect(state).toMatchObject({ completedSteps: 1, totalSteps: 2, lastSeq: 7 });
  });

  it("marks a step the response cache answered, and only that one", () => {
    const running = events.slice(0, 5).reduce(applyProgressEvent, initialProgress("queued"));
    const completed = { ...events[5]!, payload: { ...events[5]!.payload, cached: true } };
    expect(applyProgressEvent(running, completed).agents.research?.cached).toBe(true);
    expect(applyProgressEvent(running, events[5]!).agents.research?.cached).toBeUndefined();
  });

  it("shows a task that ran out of budget as such, with its message, and stops its running agents", () => {
    const running = events.slice(0, 5).reduce(applyProgressEvent, initialProgress("queued"));
    const message = "The task's budget of $0.50 is spent: $0.49 used, the next call needs up to $0.03";
    const state = applyProgressEvent(running, { seq: 6, type: "task.budget_exceeded", payload: { error: message }, createdAt: at });
    expect(state.status).toBe("budget_exceeded");
    expect(state.error).toBe(message);
    expect(state.agents.research).toMatchObject({ status: "cancelled", text: "Hello world" });
  });

  it("keeps how the plan came about and what repair changed, for the plan notice", () => {
    const planned = {
      ...events[1]!,
      payload: { ...events[1]!.payload, source: "repaired", notes: ['step 2: dropped the unknown dependency "nope"'] },
    };
    const state = [events[0]!, planned].reduce(applyProgressEvent, initialProgress("queued"));
    expect(state).toMatchObject({ planSource: "repaired", planNotes: ['step 2: dropped the unknown dependency "nope"'] });
    const replanned = applyProgressEvent(state, {
      seq: 3,
      type: "task.replanned",
      payload: { steps: events[1]!.payload.steps },
      createdAt: at,
    });
    expect(replanned).toMatchObject({ planSource: "repaired", planNotes: ['step 2: dropped the unknown dependency "nope"'] });
  });

  it("fills in the steps a rerun reused from the task's executions, without hiding a step that ran", () => {
    const state = events.reduce(applyProgressEvent, initialProgress("queued"));
    const executions = [
      { stepId: "synthesis", agent: "synthesis", status: "completed", output: { text: "Carried over" }, reusedFromId: "exec-1" },
      { stepId: "research", agent: "research", status: "completed", output: { text: "Ignored" }, reusedFromId: "exec-2" },
    ];
    const agents = withReusedSteps(state.agents, executions);
    expect(agents.synthesis).toMatchObject({ status: "completed", text: "Carried over", reused: true });
    expect(agents.research).toMatchObject({ status: "completed", text: "Hello world" });
    expect(agents.research?.reused).toBeUndefined();
    expect(withReusedSteps(state.agents, [])).toBe(state.agents);
  });

  it("ignores an event it has already applied (a resumed stream repeats nothing)", () => {
    const once = events.reduce(applyProgressEvent, initialProgress("queued"));
    const twice = events.reduce(applyProgressEvent, once);
    expect(twice.agents.research?.text).toBe("Hello world");
  });

  it("shows the result and final status when the task completes", () => {
    const done = applyProgressEvent(events.reduce(applyProgressEvent, initialProgress("queued")), {
      seq: 8,
      type: "task.completed",
      payload: { result: { markdown: "# Done", sources: [] }, usage: { inputTokens: 5, outputTokens: 6, costUsd: 0 }, durationMs: 1234 },
      createdAt: at,
    });
    expect(done).toMatchObject({ status: "completed", result: { markdown: "# Done" }, durationMs: 1234, completedSteps: 2 });
    expect(formatDuration(done.durationMs)).toBe("1.2 s");
  });
});

describe("delta coalescing", () => {
  it("turns many token deltas into few ordered writes, and flush writes the rest", async () => {
    const writes: string[] = [];
    const coalescer = createDeltaCoalescer(async (text) => {
      writes.push(text);
    }, 20);
    for (const word of "one two three four five".split(" ")) coalescer.push(`${word} `);
    await new Promise((resolve) => setTimeout(resolve, 40));
    coalescer.push("six");
    await coalescer.flush();
    expect(writes.join("")).toBe("one two three four five six");
    expect(writes.length).toBeLessThanOrEqual(2);
  });

  it("reports a failed write at flush", async () => {
    const coalescer = createDeltaCoalescer(async () => {
      throw new Error("db down");
    }, 5);
    coalescer.push("x");
    await expect(coalescer.flush()).rejects.toThrow("db down");
  });
});
