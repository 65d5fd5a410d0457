import { describe, expect, it } from "vitest";
import { readRunEvents } from "@/server/db/queries/run-events";
import { createTask, getTask } from "@/server/tasks/tasks";
import { getDb } from "@/server/db/client";
import { expireApproval } from "@/server/orchestration/task-lifecycle";
import { approveTask, cancelTask, rejectTask, rerunTask } from "@/server/tasks/task-actions";
import {
  createTeamWithMembers,
  eventTypes,
  expectCancelStopsTaskMidStream,
  useEmbeddedExecutor,
  waitForTaskStatus,
} from "../support/fixtures";

useEmbeddedExecutor();

describe("plan approval", () => {
  it("waits for approval, then runs the plan a person edited", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "Research urban beekeeping and write a guide.", requireApproval: true });
    await waitForTaskStatus(task.id, ["awaiting_approval"]);
    const waiting = await getTask(callers.user, task.id);
    expect(waiting.executions).toHaveLength(0);
    expect(waiting.approvalDueAt).not.toBeNull();

    const steps = (waiting.plan as { steps: Array<{ id: string; agent: string; dependsOn: string[] }> }).steps;
    const research = steps.find((step) => step.agent === "research")!;
    const synthesis = steps.find((step) => step.agent === "synthesis")!;
    const edited = { steps: [research, { ...synthesis, dependsOn: [research.id] }] };
    await expect(approveTask(callers.viewer, task.id, { plan: edited })).rejects.toMatchObject({ code: "forbidden" });
    await expect(approveTask(callers.user, task.id, { plan: { steps: [{ ...synthesis, agent: "nobody" }] } })).rejects.toMatchObject({
      code: "bad_request",
      field: "plan",
    });

    const approved = await approveTask(callers.user, task.id, { plan: edited });
    expect(approved.status).toBe("running");
    await waitForTaskStatus(task.id, ["completed", "failed"]);
    const done = await getTask(callers.user, task.id);
    expect(done.status).toBe("completed");
    expect(done.executions.map((execution) => execution.agent)).toEqual(["research", "synthesis"]);
    await expect(approveTask(callers.user, task.id, {})).rejects.toMatchObject({ code: "conflict" });
  });

  it("resolves many waiting tasks independently: one approved, one rejected, one still waiting", async () => {
    const { callers } = await createTeamWithMembers();
    const [a, b, c] = await Promise.all(
      ["Plan a garden party", "Plan a book club", "Plan a bike ride"].map((prompt) =>
        createTask(callers.user, { prompt, requireApproval: true }),
      ),
    );
    await Promise.all([a, b, c].map((task) => waitForTaskStatus(task!.id, ["awaiting_approval"])));
    await approveTask(callers.admin, a!.id, {});
    const rejected = await rejectTask(callers.user, b!.id, { reason: "Not this quarter" });
    expect(rejected).toMatchObject({ status: "cancelled", error: "Plan rejected: Not this quarter" });
    await waitForTaskStatus(a!.id, ["completed"]);
    expect((await getTask(callers.user, c!.id)).status).toBe("awaiting_approval");
    expect((await getTask(callers.user, b!.id)).executions).toHaveLength(0);
    await expect(rejectTask(callers.user, b!.id, {})).rejects.toMatchObject({
      code: "conflict",
      message: "Cannot reject a task that is cancelled; only awaiting-approval tasks can be rejected",
    });
    await cancelTask(callers.user, c!.id);
  });

  it("expires a wait nobody answered", async () => {
    process.env.CHORUS_APPROVAL_TIMEOUT_SECONDS = "1";
    try {
      const { callers } = await createTeamWithMembers();
      const task = await createTask(callers.user, { prompt: "Draft a newsletter", requireApproval: true });
      await waitForTaskStatus(task.id, ["failed"], 15_000);
      expect((await getTask(callers.user, task.id)).error).toMatch(/not approved within 1 second/);
    } finally {
      delete process.env.CHORUS_APPROVAL_TIMEOUT_SECONDS;
    }
  });

  it("refuses an approval once the wait has run out, and an expiry never overrides an approval", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "Plan a harvest festival", requireApproval: true });
    await waitForTaskStatus(task.id, ["awaiting_approval"]);
    // The wait is over (as if the clock had run past it) but the coordinator has not acted yet.
    const past = new Date(Date.now() - 1000);
    await getDb().task.update({ where: { id: task.id }, data: { approvalDueAt: past } });
    await expect(approveTask(callers.user, task.id, {})).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringContaining(`approval window closed at ${past.toISOString()}`),
    });
    expect((await getTask(callers.user, task.id)).status).toBe("awaiting_approval");

    // An approval stored just before the expiry step ran: the expiry leaves the task alone.
    await getDb().task.update({ where: { id: task.id }, data: { status: "running", approval: { approved: true } } });
    expect(await expireApproval(task.id)).toEqual({ status: "unchanged" });
    expect((await getTask(callers.user, task.id)).status).toBe("running");
    expect(await eventTypes(task.id)).not.toContain("task.failed");
    await cancelTask(callers.user, task.id);
  });

  it("runs a plan approved during the long wait (after the first ten seconds)", { timeout: 40_000 }, async () => {
    process.env.CHORUS_APPROVAL_TIMEOUT_SECONDS = "30";
    try {
      const { callers } = await createTeamWithMembers();
      const task = await createTask(callers.user, { prompt: "Plan a lantern walk", requireApproval: true });
      await waitForTaskStatus(task.id, ["awaiting_approval"]);
      // Past the coordinator's first, short wait (ten seconds): the decision ends the continued wait.
      await new Promise((resolve) => setTimeout(resolve, 11_000));
      await approveTask(callers.user, task.id, {});
      await waitForTaskStatus(task.id, ["completed", "failed"], 20_000);
      expect((await getTask(callers.user, task.id)).status).toBe("completed");
    } finally {
      delete process.env.CHORUS_APPROVAL_TIMEOUT_SECONDS;
    }
  });
});

describe("cancel", () => {
  it("stops a running task within a second, aborting the agent mid-stream and keeping its partial output", async () => {
    const { callers } = await createTeamWithMembers();
    await expectCancelStopsTaskMidStream(callers, { createTask, getTask, cancelTask });
  });

  it("refuses to cancel a completed task", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "Summarise tea types" });
    await waitForTaskStatus(task.id, ["completed"]);
    await expect(cancelTask(callers.user, task.id)).rejects.toMatchObject({
      code: "conflict",
      message: "Cannot cancel a task that is completed; only queued, running or awaiting-approval tasks can be cancelled",
    });
  });
});

describe("rerun from a step", () => {
  it("reuses earlier outputs, runs the step and everything after it again, and keeps the original", async () => {
    const { callers } = await createTeamWithMembers();
    const original = await createTask(callers.user, { prompt: "Research solar ovens and recommend one for camping." });
    await waitForTaskStatus(original.id, ["completed"]);
    const first = await getTask(callers.user, original.id);
    const analysis = first.executions.find((execution) => execution.agent === "analysis")!;

    await expect(rerunTask(callers.user, original.id, { fromStep: "nope" })).rejects.toMatchObject({
      code: "bad_request",
      field: "fromStep",
    });
    await expect(rerunTask(callers.viewer, original.id, { fromStep: analysis.stepId })).rejects.toMatchObject({ code: "forbidden" });

    const rerun = await rerunTask(callers.user, original.id, { fromStep: analysis.stepId, input: "Focus only on weight and price." });
    expect(rerun).toMatchObject({ parentTaskId: original.id, rerunFromStep: analysis.stepId });
    await waitForTaskStatus(rerun.id, ["completed", "failed"]);
    const second = await getTask(callers.user, rerun.id);
    expect(second.status).toBe("completed");
    const research = second.executions.find((execution) => execution.agent === "research")!;
    expect(research.reusedFromId).toBe(first.executions.find((execution) => execution.agent === "research")!.id);
    const started = (await readRunEvents(rerun.id)).filter((event) => event.type === "agent.started").map((event) => event.payload.agent);
    expect(started).toEqual(["analysis", "synthesis"]);
    expect(
      (second.plan as { steps: Array<{ id: string; subtask: string }> }).steps.find((step) => step.id === analysis.stepId)!.subtask,
    ).toBe("Focus only on weight and price.");

    const originalAfter = await getTask(callers.user, original.id);
    expect(originalAfter.reruns).toEqual([rerun.id]);
    expect(originalAfter.executions).toHaveLength(first.executions.length);
  });

  it("asks again for the approval the original needed, even when its plan was rejected", async () => {
    const { callers } = await createTeamWithMembers();
    const original = await createTask(callers.user, { prompt: "Plan a seed swap", requireApproval: true });
    await waitForTaskStatus(original.id, ["awaiting_approval"]);
    await rejectTask(callers.user, original.id, { reason: "Not yet" });
    const rerun = await rerunTask(callers.user, original.id, { fromStep: "research", input: "Only local seeds." });
    await waitForTaskStatus(rerun.id, ["awaiting_approval"]);
    const waiting = await getTask(callers.user, rerun.id);
    expect(waiting).toMatchObject({ requireApproval: true, parentTaskId: original.id });
    expect(waiting.executions).toHaveLength(0);
    expect((waiting.plan as { steps: Array<{ id: string; subtask: string }> }).steps.find((step) => step.id === "research")!.subtask).toBe(
      "Only local seeds.",
    );
    await approveTask(callers.user, rerun.id, {});
    await waitForTaskStatus(rerun.id, ["completed"]);
  });

  it("refuses to rerun a task that is still running", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "Plan a picnic", requireApproval: true });
    await waitForTaskStatus(task.id, ["awaiting_approval"]);
    await expect(rerunTask(callers.user, task.id, { fromStep: "research" })).rejects.toMatchObject({ code: "conflict" });
    await cancelTask(callers.user, task.id);
  });
});
