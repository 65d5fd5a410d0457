import { describe, expect, it } from "vitest";
import { attemptsFromExecutions, rememberAttempts, withLiveAttempts } from "@/components/tasks/step-attempts";
import type { AgentView } from "@/components/tasks/task-progress";
import type { TaskView } from "@/server/tasks/task-views";

type Execution = TaskView["executions"][number];

const execution = (overrides: Partial<Execution>): Execution => ({
  id: "e1",
  stepId: "research",
  agent: "research",
  status: "completed",
  attempt: 1,
  modelId: "chorus-offline",
  input: { subtask: "find facts", dependsOn: [] },
  output: { text: "facts" },
  error: null,
  reusedFromId: null,
  agentVersion: null,
  usage: { inputTokens: 10, outputTokens: 5, costUsd: 0 },
  cached: false,
  startedAt: "2026-12-07T10:00:00.000Z",
  completedAt: "2026-12-07T10:00:02.000Z",
  toolCalls: [],
  ...overrides,
});

const live = (overrides: Partial<AgentView>): AgentView => ({
  stepId: "research",
  agent: "research",
  status: "running",
  text: "",
  attempt: 1,
  ...overrides,
});

describe("a task's step attempts", () => {
  it("come from the stored executions, every attempt, with what each was given, and none for a reused step", () => {
    const attempts = attemptsFromExecutions([
      execution({
        status: "failed",
        error: "model timed out",
        completedAt: "2026-12-07T10:00:01.000Z",
        usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      }),
      execution({ id: "e2", attempt: 2, startedAt: "2026-12-07T10:00:01.500Z", cached: true }),
      execution({ id: "e3", stepId: "analysis", agent: "analysis", reusedFromId: "old" }),
    ]);
    expect(attempts.map((attempt) => [attempt.key, attempt.status, attempt.error, attempt.cached])).toEqual([
      ["research#1", "failed", "model timed out", undefined],
      ["research#2", "completed", undefined, true],
    ]);
    expect(attempts[1]!.input).toEqual({ subtask: "find facts", dependsOn: [] });
    expect(attempts[0]!.usage).toBeUndefined();
  });

  it("take each step's current attempt from the stream, and end a running one when the task ended under it", () => {
    const stored = attemptsFromExecutions([execution({ status: "failed", error: "boom" })]);
    const running = withLiveAttempts(stored, { research: live({ attempt: 2, startedAt: "2026-12-07T10:00:03.000Z" }) }, null);
    expect(running.map((attempt) => [attempt.key, attempt.status, attempt.completedAt])).toEqual([
      ["research#1", "failed", "2026-12-07T10:00:02.000Z"],
      ["research#2", "running", null],
    ]);
    const cancelled = withLiveAttempts(
      stored,
      { research: live({ attempt: 2, status: "cancelled", startedAt: "2026-12-07T10:00:03.000Z" }) },
      "2026-12-07T10:00:09.000Z",
    );
    expect(cancelled[1]).toMatchObject({ status: "cancelled", completedAt: "2026-12-07T10:00:09.000Z" });
    // A stored attempt keeps its own times: the events' are when they were logged, a moment later.
    const completed = attemptsFromExecutions([execution({})]);
    const replayed = live({
      status: "completed",
      startedAt: "2026-12-07T10:00:00.004Z",
      completedAt: "2026-12-07T10:00:02.009Z",
      usage: { inputTokens: 10, outputTokens: 5, costUsd: 0 },
    });
    expect(withLiveAttempts(completed, { research: replayed }, "2026-12-07T10:00:03.000Z")[0]).toMatchObject({
      startedAt: "2026-12-07T10:00:00.000Z",
      completedAt: "2026-12-07T10:00:02.000Z",
    });
    // An attempt the page read while it ran, since retried, ended when its retry started.
    const readRunning = attemptsFromExecutions([execution({ status: "running", completedAt: null })]);
    expect(withLiveAttempts(readRunning, { research: live({ attempt: 2, startedAt: "2026-12-07T10:00:05.000Z" }) }, null)[0]).toMatchObject(
      {
        status: "failed",
        completedAt: "2026-12-07T10:00:05.000Z",
      },
    );
    // Waiting and reused steps have no attempt of their own.
    expect(
      withLiveAttempts([], { a: live({ status: "waiting" }), b: live({ stepId: "b", reused: true, status: "completed" }) }, null),
    ).toEqual([]);
  });

  it("remember an attempt the stream has moved past, and change nothing when nothing changed", () => {
    const first = withLiveAttempts([], { research: live({ startedAt: "2026-12-07T10:00:00.000Z" }) }, null);
    const remembered = rememberAttempts([], first);
    expect(rememberAttempts(remembered, first)).toBe(remembered);
    const failed = withLiveAttempts(
      [],
      {
        research: live({ status: "failed", error: "boom", startedAt: "2026-12-07T10:00:00.000Z", completedAt: "2026-12-07T10:00:01.000Z" }),
      },
      null,
    );
    const afterFailure = rememberAttempts(remembered, failed);
    // The retry replaces the stream's view of the step; the failed attempt stays.
    const retry = withLiveAttempts([], { research: live({ attempt: 2, startedAt: "2026-12-07T10:00:02.000Z" }) }, null);
    expect(rememberAttempts(afterFailure, retry).map((attempt) => [attempt.key, attempt.status])).toEqual([
      ["research#1", "failed"],
      ["research#2", "running"],
    ]);
  });
});
