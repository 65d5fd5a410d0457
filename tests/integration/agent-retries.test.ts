import { afterAll, describe, expect, it, vi } from "vitest";
import { getPool } from "@/server/db/client";
import { readRunEvents } from "@/server/db/queries/run-events";
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
    // Some providers echo the key they were sent in their error body.
    if (mentions(request, "ECHOES-THE-KEY")) return { status: 401, message: `Incorrect API key provided: ${PROVIDER_KEY}` };
    if (mentions(request, "RATE-LIMITED") && rateLimitedCalls++ === 0) {
      return { status: 429, message: "Rate limit reached (simulated)", headers: { "retry-after": String(RETRY_AFTER_SECONDS) } };
    }
    return undefined;
  },
});
const PROVIDER_KEY = "sk-test-echoed-0123456789abcdef";
process.env.OPENAI_API_KEY = PROVIDER_KEY;
afterAll(() => {
  delete process.env.OPENAI_API_KEY;
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
    expect(analysis[0]!.error).toMatch(/answered HTTP 503 \(an error on the provider.s side\); retried/);
    expect(done.executions.find((execution) => execution.agent === "research")!.modelId).toBe("wire-test-model");
    const events = await readRunEvents(task.id);
    const failures = events.filter((event) => event.type === "agent.failed");
    expect(failures).toHaveLength(1);
    // The retry is announced before it starts, so clients replace the first attempt's partial output.
    const restarted = events.findIndex((event) => event.type === "agent.restarted");
    expect(events[restarted]!.payload).toMatchObject({ agent: "analysis", attempt: 2, reason: "retried" });
    expect(events[restarted + 1]).toMatchObject({ type: "agent.started", payload: { agent: "analysis", attempt: 2 } });
    expect(events.filter((event) => event.type === "agent.restarted")).toHaveLength(1);
  });

  it("fails the task with the error once every attempt has failed", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "ALWAYS-FAIL research" });
    await waitForTaskStatus(task.id, ["completed", "failed"], 45_000);
    const done = await getTask(callers.user, task.id);
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/answered HTTP 500 \(an error on the provider.s side\); retried/);
    const attempts = done.executions.filter((execution) => execution.agent === "research").map((execution) => execution.attempt);
    expect(attempts).toEqual([1, 2, 3]);
  });

  it("does not retry a request the provider refused: the agent fails once and the task fails with its message", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "AGENT-BAD-KEY research" });
    await waitForTaskStatus(task.id, ["completed", "failed"], 30_000);
    const done = await getTask(callers.user, task.id);
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(
      /^The model server at 127\.0\.0\.1:\d+ answered HTTP 401 \(the API key was refused\); not retried \(reference [0-9a-f]{8}\)$/,
    );
    expect(done.executions.map((execution) => [execution.agent, execution.attempt, execution.status])).toEqual([["research", 1, "failed"]]);
    expect(wire.requests.filter((body) => body.stream && mentions(body, "AGENT-BAD-KEY"))).toHaveLength(1);
  });

  it("fails the task at planning, without retrying, when the provider refuses the planner's request", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "BAD-KEY-EVERYWHERE research" });
    await waitForTaskStatus(task.id, ["completed", "failed"], 30_000);
    const done = await getTask(callers.user, task.id);
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/answered HTTP 401 \(the API key was refused\); not retried/);
    expect(done.executions).toEqual([]);
    expect(wire.requests.filter((body) => mentions(body, "BAD-KEY-EVERYWHERE"))).toHaveLength(1);
  });

  it("never stores, streams or logs the key a provider echoes in its error; members see status, host and reference", async () => {
    const lines: string[] = [];
    const capture = (chunk: unknown) => (lines.push(String(chunk)), true);
    vi.spyOn(process.stderr, "write").mockImplementation(capture);
    vi.spyOn(process.stdout, "write").mockImplementation(capture);
    try {
      const { callers } = await createTeamWithMembers();
      const task = await createTask(callers.user, { prompt: "ECHOES-THE-KEY research" });
      await waitForTaskStatus(task.id, ["completed", "failed"], 30_000);
      const done = await getTask(callers.viewer, task.id);
      expect(done.status).toBe("failed");
      expect(done.error).toMatch(/answered HTTP 401 \(the API key was refused\); not retried \(reference [0-9a-f]{8}\)$/);
      expect(JSON.stringify(done)).not.toContain(PROVIDER_KEY);
      expect(JSON.stringify(await readRunEvents(task.id))).not.toContain(PROVIDER_KEY);
      // Nor in any table: the task, its executions and events, the executor's durable state.
      for (const table of ["Task", "AgentExecution", "RunEvent", "WorkflowRun", "WorkflowStep"]) {
        const { rows } = await getPool().query(`SELECT count(*)::int AS n FROM "${table}" t WHERE row_to_json(t)::text LIKE $1`, [
          `%${PROVIDER_KEY}%`,
        ]);
        expect(rows[0].n, table).toBe(0);
      }
    } finally {
      vi.restoreAllMocks();
    }
    expect(lines.join("")).not.toContain(PROVIDER_KEY);
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
    expect(research[0]!.error).toMatch(/answered HTTP 429 \(rate limited\); retried/);
    const waited = Date.parse(research[1]!.startedAt!) - Date.parse(research[0]!.completedAt!);
    expect(waited).toBeGreaterThanOrEqual(RETRY_AFTER_SECONDS * 1000 - 50);
  });
});
