import { describe, expect, it } from "vitest";
import { readRunEvents } from "@/server/db/queries/run-events";
import { createTask, getTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { type ChatRequest, useOpenAiWireServer } from "../support/openai-wire-server";

/**
 * The coordinator schedules the plan as a dataflow: a step starts as soon as the steps it
 * depends on are done — not when every step of its "wave" is — and never more than
 * CHORUS_TASK_MAX_PARALLEL agents of one task run at once. Agents whose instruction says
 * TAKE-YOUR-TIME answer slowly (a pause before each streamed piece).
 */
const step = (id: string, agent: string, dependsOn: string[], subtask = `Work on ${id}.`) => ({
  id,
  agent,
  subtask,
  dependsOn,
  reason: `The ${agent} agent does this.`,
});
const plans: Record<string, unknown> = {
  "CHAIN-PAST-SLOW": {
    steps: [
      step("slow", "research", [], "TAKE-YOUR-TIME: research the long history."),
      step("fast", "research", []),
      step("follow", "analysis", ["fast"]),
      step("final", "synthesis", ["slow", "follow"]),
    ],
  },
  "THREE-AT-MOST-TWO": {
    steps: [
      step("one", "research", [], "TAKE-YOUR-TIME: research part one."),
      step("two", "research", [], "TAKE-YOUR-TIME: research part two."),
      step("three", "research", [], "TAKE-YOUR-TIME: research part three."),
      step("final", "synthesis", ["one", "two", "three"]),
    ],
  },
};

const mentions = (request: ChatRequest, marker: string) => request.messages.some((message) => message.content.includes(marker));
useOpenAiWireServer({
  pieces: ["# Notes\n\n", "- One finding.\n", "- Another finding.\n", "- A third finding.\n"],
  plan: (text) => Object.entries(plans).find(([marker]) => text.includes(marker))?.[1] ?? { steps: [step("only", "research", [])] },
  respond: (request) => (request.stream && mentions(request, "TAKE-YOUR-TIME") ? { pauseMs: 150 } : undefined),
});
useEmbeddedExecutor(16);

async function agentTimeline(taskId: string) {
  const events = await readRunEvents(taskId);
  const at = (type: string, stepId: string) => events.findIndex((event) => event.type === type && event.payload.stepId === stepId);
  return { events, started: (stepId: string) => at("agent.started", stepId), completed: (stepId: string) => at("agent.completed", stepId) };
}

describe("DAG scheduling", () => {
  it("starts a step as soon as its own dependencies are done, while a slow sibling still runs", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "CHAIN-PAST-SLOW: the history of canals" });
    await waitForTaskStatus(task.id, ["completed", "failed"], 30_000);
    expect((await getTask(callers.user, task.id)).status).toBe("completed");

    const { started, completed } = await agentTimeline(task.id);
    // "follow" needs only "fast": it starts, and even finishes, before "slow" is done.
    expect(started("follow")).toBeGreaterThan(completed("fast"));
    expect(started("follow")).toBeLessThan(completed("slow"));
    expect(completed("follow")).toBeLessThan(completed("slow"));
    // "final" needs both branches.
    expect(started("final")).toBeGreaterThan(completed("slow"));
    expect(started("final")).toBeGreaterThan(completed("follow"));
  });

  it("runs at most CHORUS_TASK_MAX_PARALLEL agents of a task at once", async () => {
    process.env.CHORUS_TASK_MAX_PARALLEL = "2";
    try {
      const { callers } = await createTeamWithMembers();
      const task = await createTask(callers.user, { prompt: "THREE-AT-MOST-TWO: the history of canals" });
      await waitForTaskStatus(task.id, ["completed", "failed"], 30_000);
      expect((await getTask(callers.user, task.id)).status).toBe("completed");

      const { events } = await agentTimeline(task.id);
      let inFlight = 0;
      let most = 0;
      for (const event of events) {
        if (event.type === "agent.started") most = Math.max(most, ++inFlight);
        if (event.type === "agent.completed") inFlight--;
      }
      expect(most).toBe(2);
    } finally {
      delete process.env.CHORUS_TASK_MAX_PARALLEL;
    }
  });
});
