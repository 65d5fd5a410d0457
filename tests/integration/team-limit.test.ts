import { describe, expect, it } from "vitest";
import { createTask, getTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";

/**
 * CHORUS_TEAM_MAX_PARALLEL bounds the agent steps one team runs at once across all its tasks;
 * other teams are not held back by it. (The agent functions read the limit when they are
 * defined, which the executor fixture does after this file's top level has run.)
 */
process.env.CHORUS_TEAM_MAX_PARALLEL = "1";
// Tokens take a little time, so steps that may run together visibly overlap.
process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = "2";
useEmbeddedExecutor(16);

type Interval = { task: string; start: number; end: number };

async function agentIntervals(caller: Parameters<typeof getTask>[0], taskIds: string[]): Promise<Interval[]> {
  const intervals: Interval[] = [];
  for (const id of taskIds) {
    const task = await getTask(caller, id);
    expect(task.status).toBe("completed");
    for (const execution of task.executions) {
      intervals.push({ task: id, start: Date.parse(execution.startedAt!), end: Date.parse(execution.completedAt!) });
    }
  }
  return intervals;
}

const overlaps = (a: Interval, b: Interval) => a.start < b.end && b.start < a.end;

describe("the per-team limit on agent steps", () => {
  it("runs one agent step of a team at a time across its tasks, while another team's run alongside", async () => {
    const limited = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    // Each of these plans has two research steps that could run together.
    const prompts = ["Compare Rust and Go for command-line tools.", "Compare tea and coffee for a morning routine."];
    const [a, b] = await Promise.all(prompts.map((prompt) => createTask(limited.callers.user, { prompt })));
    const [c, d] = await Promise.all(prompts.map((prompt) => createTask(other.callers.user, { prompt })));
    await Promise.all([a, b, c, d].map((task) => waitForTaskStatus(task!.id, ["completed", "failed"], 60_000)));

    const mine = await agentIntervals(limited.callers.user, [a!.id, b!.id]);
    expect(mine.length).toBeGreaterThanOrEqual(8);
    for (const [index, first] of mine.entries()) {
      for (const second of mine.slice(index + 1)) expect(overlaps(first, second), "two of the team's agent steps overlapped").toBe(false);
    }

    // The limit is per team: the other team (held to one at a time as well) ran beside this one.
    const theirs = await agentIntervals(other.callers.user, [c!.id, d!.id]);
    for (const [index, first] of theirs.entries()) {
      for (const second of theirs.slice(index + 1))
        expect(overlaps(first, second), "two of the other team's agent steps overlapped").toBe(false);
    }
    expect(
      mine.some((first) => theirs.some((second) => overlaps(first, second))),
      "the two teams never ran at the same time",
    ).toBe(true);
  });
});
