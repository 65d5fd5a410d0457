import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { createTask, getTask } from "@/server/tasks/tasks";
import { createModelProvider, updateModelRouting } from "@/server/teams/model-providers";
import { createTeamWithMembers, THREE_AGENT_PROMPT, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { startOpenAiWireServer } from "../support/openai-wire-server";

/**
 * A team's ordered model list at work in a real task: its first provider answers every call with
 * a 500, so each call falls back to the second; the task completes, each execution says which
 * model was skipped and why, and the usage rows name the model that answered. The planner, the
 * agents and the synthesis all go through the same list.
 */
useEmbeddedExecutor();

let failing: Awaited<ReturnType<typeof startOpenAiWireServer>>;
let working: Awaited<ReturnType<typeof startOpenAiWireServer>>;

beforeAll(async () => {
  failing = await startOpenAiWireServer({ model: "flaky-model", respond: () => ({ status: 500, message: "upstream exploded" }) });
  working = await startOpenAiWireServer({ model: "steady-model" });
});
afterAll(async () => {
  await Promise.all([failing?.close(), working?.close()]);
});

describe("a team's fallback models", () => {
  it("answer when the first model fails, and the execution records the fallback", async () => {
    const { callers } = await createTeamWithMembers();
    const flaky = await createModelProvider(callers.admin, {
      name: "flaky",
      kind: "openai-compatible",
      baseUrl: failing.baseURL,
      apiKey: "sk-flaky-key-1",
    });
    const steady = await createModelProvider(callers.admin, {
      name: "steady",
      kind: "openai-compatible",
      baseUrl: working.baseURL,
      apiKey: "sk-steady-key-2",
    });
    await updateModelRouting(callers.admin, {
      default: [
        { providerId: flaky.id, model: "flaky-model" },
        { providerId: steady.id, model: "steady-model" },
      ],
    });
    const task = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT, cache: false });
    expect(await waitForTaskStatus(task.id, ["completed", "failed"], 30_000)).toBe("completed");

    expect(failing.requests.length).toBeGreaterThan(0);
    expect(working.requests.length).toBeGreaterThan(0);
    const view = await getTask(callers.user, task.id);
    for (const execution of view.executions) {
      expect(execution.modelId).toBe("steady-model");
      const fallbacks = (
        execution.output as { modelFallbacks?: Array<{ answeredBy: string; skipped: Array<{ key: string; reason: string }> }> }
      ).modelFallbacks;
      // Until the breaker opens, each call tries the failing model first and says why it moved on.
      if (fallbacks) {
        expect(fallbacks[0]!.answeredBy).toContain("steady-model");
        expect(fallbacks[0]!.skipped[0]!.key).toContain("flaky-model");
        expect(fallbacks[0]!.skipped[0]!.reason).not.toContain("upstream exploded");
      }
    }
    expect(view.executions.some((execution) => (execution.output as { modelFallbacks?: unknown }).modelFallbacks)).toBe(true);
    const calls = await getDb().modelCall.findMany({ where: { taskId: task.id } });
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(calls.every((call) => call.modelId === "steady-model" && call.outcome === "completed")).toBe(true);
  });
});
