import { describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { cancelTask } from "@/server/tasks/task-actions";
import { createTask, getTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, useEmbeddedExecutor } from "../support/fixtures";
import { type ChatRequest, useOpenAiWireServer } from "../support/openai-wire-server";

/**
 * Cancelling a task stops every model call it has in flight, not only its agents': the
 * planner's (a request the provider never answers) and the aggregator's (a stream that never
 * ends) are aborted — the provider connection is closed, so no more tokens are spent — and
 * neither is retried.
 */
const mentions = (request: ChatRequest, marker: string) => request.messages.some((message) => message.content.includes(marker));
const isAggregator = (request: ChatRequest) =>
  request.messages.some((message) => message.role === "system" && message.content.startsWith("You are the Aggregator"));
const step = (id: string) => ({
  id,
  agent: "research",
  subtask: `Research ${id} of the subject.`,
  dependsOn: [],
  reason: "Gathers facts.",
});

const wire = useOpenAiWireServer({
  // No synthesis step: the aggregator itself asks the model to merge the two outputs.
  plan: () => ({ steps: [step("costs"), step("risks")] }),
  respond: (request) => {
    if (!request.stream && mentions(request, "HANG-PLANNER")) return { hang: true };
    if (isAggregator(request) && mentions(request, "HANG-AGGREGATOR")) return { streamForever: true };
    return undefined;
  },
});
useEmbeddedExecutor(8);

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Submits `prompt`, waits until its model call (counted by `calls`) is in flight, cancels the
 * task, and checks what a cancel promises: the provider connection closes within 2 s, the call
 * is not retried, and the task stays cancelled. Returns the task as it then stands.
 */
async function cancelDuringModelCall(prompt: string, calls: () => number, what: string) {
  const { callers } = await createTeamWithMembers();
  const task = await createTask(callers.user, { prompt });
  await until(() => calls() === 1, what);

  const cancelledAt = Date.now();
  expect((await cancelTask(callers.user, task.id)).status).toBe("cancelled");
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error("the provider connection was still open 2000 ms after the cancel")), 2_000),
  );
  await Promise.race([wire.foreverStreamClosed(), timeout]);
  expect(Date.now() - cancelledAt).toBeLessThan(2_000);

  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(calls()).toBe(1);
  const done = await getTask(callers.user, task.id);
  expect(done.status).toBe("cancelled");
  return done;
}

describe("cancel stops the coordinator's own model calls", () => {
  it("aborts the planner's request", async () => {
    const plannerCalls = () => wire.requests.filter((request) => !request.stream && mentions(request, "HANG-PLANNER")).length;
    const done = await cancelDuringModelCall("HANG-PLANNER: plan the history of canals.", plannerCalls, "the planner's request");
    expect(done.plan).toBeNull();
    expect(await getDb().agentExecution.count({ where: { taskId: done.id } })).toBe(0);
  });

  it("aborts the aggregator's stream and keeps the agents' outputs", async () => {
    const aggregatorCalls = () => wire.requests.filter(isAggregator).length;
    const done = await cancelDuringModelCall(
      "HANG-AGGREGATOR: compare the costs and risks of canals.",
      aggregatorCalls,
      "the aggregator's request",
    );
    expect(done.result).toBeNull();
    expect(done.executions.map((execution) => [execution.stepId, execution.status]).sort()).toEqual([
      ["costs", "completed"],
      ["risks", "completed"],
    ]);
  });
});
