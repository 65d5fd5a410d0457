import { describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { readRunEvents } from "@/server/db/queries/run-events";
import { createTask, getTask, listTasks } from "@/server/tasks/tasks";
import { AppError } from "@/server/errors";
import {
  createTeamWithMembers,
  expectCompletedThreeAgentTask,
  THREE_AGENT_PROMPT,
  useEmbeddedExecutor,
  waitForTaskStatus,
} from "../support/fixtures";

useEmbeddedExecutor();

describe("a task, end to end through the real coordinator and agents", () => {
  it("is queued, planned, run by research → analysis → synthesis, and completed with a result", async () => {
    const { callers } = await createTeamWithMembers();
    const created = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT });
    expect(created.status).toBe("queued");

    await waitForTaskStatus(created.id, ["completed", "failed"]);
    const task = await getTask(callers.viewer, created.id);
    expectCompletedThreeAgentTask(task);
    const summed = task.executions.reduce((total, execution) => total + execution.usage.outputTokens, 0);
    expect(task.usage.outputTokens).toBeGreaterThanOrEqual(summed);
    expect(task.durationMs).toBeGreaterThan(0);

    const events = await readRunEvents(created.id);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    const types = events.map((event) => event.type);
    expect(types[0]).toBe("task.created");
    expect(types[1]).toBe("task.planned");
    expect(types.at(-1)).toBe("task.completed");
    expect(types.filter((type) => type === "agent.started")).toHaveLength(3);
    expect(types.filter((type) => type === "agent.delta").length).toBeGreaterThan(0);
    // The analysis agent starts only after research completed (it depends on it).
    const researchDone = events.findIndex(
      (event) => event.type === "agent.completed" && event.payload.stepId === task.executions[0]!.stepId,
    );
    const analysisStart = events.findIndex((event) => event.type === "agent.started" && event.payload.agent === "analysis");
    expect(analysisStart).toBeGreaterThan(researchDone);
  });

  it("runs independent steps at the same time", async () => {
    const { callers } = await createTeamWithMembers();
    // Tokens take a little time here, so steps that run at the same time visibly overlap
    // (with an instant model a step can finish before its sibling's first statement).
    const tokenDelay = process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS;
    process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = "2";
    const created = await createTask(callers.user, { prompt: "Compare Rust and Go for building command-line tools." });
    try {
      await waitForTaskStatus(created.id, ["completed", "failed"]);
    } finally {
      if (tokenDelay === undefined) delete process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS;
      else process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = tokenDelay;
    }
    const task = await getTask(callers.user, created.id);
    expect(task.status).toBe("completed");
    const research = task.executions.filter((execution) => execution.agent === "research");
    expect(research).toHaveLength(2);
    // Both research steps started before either finished.
    const [first, second] = research.map((execution) => ({
      start: Date.parse(execution.startedAt!),
      end: Date.parse(execution.completedAt!),
    }));
    expect(first!.start).toBeLessThan(second!.end);
    expect(second!.start).toBeLessThan(first!.end);
  });

  it("checks input and role, and keeps teams apart", async () => {
    const { callers } = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    await expect(createTask(callers.user, { prompt: "" })).rejects.toMatchObject({ code: "bad_request", field: "prompt" });
    await expect(createTask(callers.user, { prompt: "x".repeat(20_001) })).rejects.toMatchObject({ code: "bad_request", field: "prompt" });
    await expect(createTask(callers.user, {})).rejects.toMatchObject({ code: "bad_request", field: "prompt" });
    await expect(createTask(callers.viewer, { prompt: "hello" })).rejects.toMatchObject({ code: "forbidden" });
    expect(await getDb().task.count({ where: { teamId: callers.user.teamId } })).toBe(0);

    const created = await createTask(callers.user, { prompt: "Only for my team" });
    await expect(getTask(other.callers.admin, created.id)).rejects.toBeInstanceOf(AppError);
    expect((await listTasks(other.callers.admin)).tasks).toHaveLength(0);
    expect((await listTasks(callers.viewer)).tasks.map((task) => task.id)).toEqual([created.id]);
    await waitForTaskStatus(created.id, ["completed", "failed"]);
  });
});
