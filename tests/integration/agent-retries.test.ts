import { describe, expect, it } from "vitest";
import { readRunEvents } from "@/server/events/run-events";
import { createTask, getTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { useOpenAiWireServer } from "../support/openai-wire-server";

/**
 * Retries against a real provider client: the model server rejects the first analysis call
 * (a 400, which the AI SDK does not retry itself), so the agent step fails, Chorus retries it
 * with backoff, and the second attempt succeeds. Every attempt is recorded.
 */
let analysisCalls = 0;
useOpenAiWireServer({
  respond: (request) => {
    const system = request.messages.find((message) => message.role === "system")?.content ?? "";
    if (request.stream && /analysis agent/i.test(system) && analysisCalls++ === 0) {
      return { status: 400, message: "context length exceeded (simulated)" };
    }
    if (request.messages.some((message) => message.content.includes("ALWAYS-FAIL")) && request.stream) {
      return { status: 400, message: "this request always fails (simulated)" };
    }
    return undefined;
  },
});
useEmbeddedExecutor(8);

describe("agent step retries", () => {
  it("retries a failed step and records both attempts", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "Research and analyse rainwater tanks." });
    await waitForTaskStatus(task.id, ["completed", "failed"], 30_000);
    const done = await getTask(callers.user, task.id);
    expect(done.status).toBe("completed");
    const analysis = done.executions.filter((execution) => execution.agent === "analysis");
    expect(analysis.map((execution) => [execution.attempt, execution.status])).toEqual([
      [1, "failed"],
      [2, "completed"],
    ]);
    expect(analysis[0]!.error).toMatch(/context length exceeded/);
    expect(done.executions.find((execution) => execution.agent === "research")!.modelId).toBe("wire-test-model");
    const failures = (await readRunEvents(task.id)).filter((event) => event.type === "agent.failed");
    expect(failures).toHaveLength(1);
  });

  it("fails the task with the error once every attempt has failed", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "ALWAYS-FAIL research" });
    await waitForTaskStatus(task.id, ["completed", "failed"], 45_000);
    const done = await getTask(callers.user, task.id);
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/always fails/);
    const attempts = done.executions.filter((execution) => execution.agent === "research").map((execution) => execution.attempt);
    expect(attempts).toEqual([1, 2, 3]);
  });
});
