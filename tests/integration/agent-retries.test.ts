import { describe, expect, it } from "vitest";
import { readRunEvents } from "@/server/events/run-events";
import { createTask, getTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { type ChatRequest, useOpenAiWireServer } from "../support/openai-wire-server";

/**
 * Retries against a real provider client (the AI SDK's own retries are off: every provider
 * call is a recorded step attempt). A transient failure — the first analysis call answered 503 —
 * fails the agent step, Chorus retries it with backoff, and the second attempt succeeds. A
 * rate limit is retried after the wait the provider asked for. A permanent failure (a bad key,
 * 401) is not retried: the task fails at once with the provider's message.
 */
let analysisCalls = 0;
let rateLimitedCalls = 0;
const mentions = (request: ChatRequest, marker: string) => request.messages.some((message) => message.content.includes(marker));
const wire = useOpenAiWireServer({
  respond: (request) => {
    const system = request.messages.find((message) => message.role === "system")?.content ?? "";
    if (mentions(request, "BAD-KEY-EVERYWHERE")) return { status: 401, message: "Incorrect API key provided (simulated)" };
    if (!request.stream) return undefined;
    if (/analysis agent/i.test(system) && mentions(request, "rainwater") && analysisCalls++ === 0) {
      return { status: 503, message: "the model is overloaded (simulated)" };
    }
    if (mentions(request, "ALWAYS-FAIL")) return { status: 500, message: "this request always fails (simulated)" };
    if (mentions(request, "AGENT-BAD-KEY")) return { status: 401, message: "Incorrect API key provided (simulated)" };
    if (mentions(request, "RATE-LIMITED") && rateLimitedCalls++ === 0) {
      return { status: 429, message: "Rate limit reached (simulated)", headers: { "retry-after": String(RETRY_AFTER_SECONDS) } };
    }
    return undefined;
  },
});
/** Longer than the executor's first backoff (about a second), so the test tells the two apart. */
const RETRY_AFTER_SECONDS = 3;
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
    expect(analysis[0]!.error).toMatch(/overloaded/);
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

  it("does not retry a request the provider refused: the agent fails once and the task fails with its message", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "AGENT-BAD-KEY research" });
    await waitForTaskStatus(task.id, ["completed", "failed"], 30_000);
    const done = await getTask(callers.user, task.id);
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/^The model server at 127\.0\.0\.1:\d+ answered HTTP 401: Incorrect API key provided/);
    expect(done.executions.map((execution) => [execution.agent, execution.attempt, execution.status])).toEqual([["research", 1, "failed"]]);
    expect(wire.requests.filter((body) => body.stream && mentions(body, "AGENT-BAD-KEY"))).toHaveLength(1);
  });

  it("fails the task at planning, without retrying, when the provider refuses the planner's request", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "BAD-KEY-EVERYWHERE research" });
    await waitForTaskStatus(task.id, ["completed", "failed"], 30_000);
    const done = await getTask(callers.user, task.id);
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/Incorrect API key provided/);
    expect(done.executions).toEqual([]);
    expect(wire.requests.filter((body) => mentions(body, "BAD-KEY-EVERYWHERE"))).toHaveLength(1);
  });

  it("retries a rate-limited step after the wait the provider asked for (Retry-After)", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "RATE-LIMITED research" });
    await waitForTaskStatus(task.id, ["completed", "failed"], 30_000);
    const done = await getTask(callers.user, task.id);
    expect(done.status).toBe("completed");
    const research = done.executions.filter((execution) => execution.agent === "research");
    expect(research.map((execution) => [execution.attempt, execution.status])).toEqual([
      [1, "failed"],
      [2, "completed"],
    ]);
    expect(research[0]!.error).toMatch(/Rate limit reached/);
    const waited = Date.parse(research[1]!.startedAt!) - Date.parse(research[0]!.completedAt!);
    expect(waited).toBeGreaterThanOrEqual(RETRY_AFTER_SECONDS * 1000 - 50);
  });
});
