import { describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { readRunEvents, type RunEvent } from "@/server/db/queries/run-events";
import { appendRunEvent, onRunEvent } from "@/server/events/run-events";
import { startExecution } from "@/server/orchestration/execution-store";
import { applyProgressEvent, initialProgress } from "@/components/tasks/task-progress";

/**
 * A step that starts again — resumed after a crash or a takeover (same attempt, its row already
 * there), or retried (the next attempt) — is announced by `agent.restarted` before its
 * `agent.started`, in the same statement, so a live view replaces the partial output it had
 * instead of appending the new attempt's text to it. A first start announces no restart.
 */
async function runningTask() {
  const db = getDb();
  const team = await db.team.create({ data: { slug: `restart-${Math.random().toString(36).slice(2, 8)}`, name: "Restart" } });
  return db.task.create({ data: { teamId: team.id, prompt: "start again", status: "running" } });
}

const start = (task: { id: string; teamId: string }, attempt: number) =>
  startExecution({
    taskId: task.id,
    teamId: task.teamId,
    stepKey: "research",
    agentKind: "research",
    agentVersion: null,
    attempt,
    input: { subtask: "look" },
  });

describe("step restarts", () => {
  it("announce a resumed attempt and a retried one, not a first start, in the log and to this process's listeners", async () => {
    const task = await runningTask();
    const heard: RunEvent[] = [];
    const stop = onRunEvent(task.id, (event) => heard.push(event));
    const first = await start(task, 1);
    const resumed = await start(task, 1); // the same attempt again: a crash or takeover mid-step
    const retried = await start(task, 2);
    stop();
    expect(resumed!.id).toBe(first!.id);
    expect(retried!.id).not.toBe(first!.id);

    const log = await readRunEvents(task.id);
    expect(log.map((event) => [event.type, event.payload.attempt, event.payload.reason])).toEqual([
      ["agent.started", 1, undefined],
      ["agent.restarted", 1, "resumed"],
      ["agent.started", 1, undefined],
      ["agent.restarted", 2, "retried"],
      ["agent.started", 2, undefined],
    ]);
    expect(log.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5]);
    // What this process's streams heard is what the log holds.
    expect(heard.map(({ seq, type, payload }) => ({ seq, type, payload }))).toEqual(
      log.map(({ seq, type, payload }) => ({ seq, type, payload })),
    );
  });

  it("make the live view replace the step's partial output instead of appending to it", async () => {
    const task = await runningTask();
    await start(task, 1);
    await appendRunEvent(task.id, "agent.delta", { stepId: "research", text: "half an ans" });
    await start(task, 1);
    await appendRunEvent(task.id, "agent.delta", { stepId: "research", text: "a whole answer" });
    const view = (await readRunEvents(task.id)).reduce(applyProgressEvent, initialProgress("running"));
    expect(view.agents.research).toMatchObject({ text: "a whole answer", status: "running", restarts: 1, restartReason: "resumed" });
  });
});
