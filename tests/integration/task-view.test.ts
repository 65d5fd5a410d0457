import { describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { readRunEvents } from "@/server/db/queries/run-events";
import { rerunTask } from "@/server/tasks/task-actions";
import { createTask, getTask, listTasks } from "@/server/tasks/tasks";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";

useEmbeddedExecutor();

/**
 * The task view and list are read in plain SQL (they are polled). This is their specification
 * written the straightforward way, through Prisma: the API must answer exactly this.
 */
async function viewThroughPrisma(id: string) {
  const task = await getDb().task.findUniqueOrThrow({
    where: { id },
    include: {
      executions: {
        orderBy: [{ createdAt: "asc" }, { attempt: "asc" }],
        include: { toolCalls: { orderBy: [{ startedAt: "asc" }, { id: "asc" }] } },
      },
      reruns: { select: { id: true }, orderBy: { createdAt: "asc" } },
    },
  });
  const calls = await getDb().modelCall.findMany({ where: { taskId: id }, select: { executionId: true, cached: true } });
  /** Every model call of the attempt answered from the response cache (and at least one). */
  const cached = (executionId: string) => {
    const own = calls.filter((call) => call.executionId === executionId);
    return own.length > 0 && own.every((call) => call.cached);
  };
  return {
    ...summaryThroughPrisma(task),
    parentTaskId: task.parentTaskId,
    rerunFromStep: task.rerunFromStep,
    reruns: task.reruns.map((rerun) => rerun.id),
    approval: task.approval,
    approvalDueAt: task.approvalDueAt?.toISOString() ?? null,
    plan: task.plan,
    result: task.status === "completed" ? task.output : null,
    executions: task.executions.map((execution) => ({
      id: execution.id,
      stepId: execution.stepKey,
      agent: execution.agentKind,
      status: execution.status,
      attempt: execution.attempt,
      modelId: execution.modelId,
      input: execution.input,
      output: execution.output,
      error: execution.error,
      reusedFromId: execution.reusedFromId,
      agentVersion: execution.agentVersion,
      usage: { inputTokens: execution.inputTokens, outputTokens: execution.outputTokens, costUsd: Number(execution.costUsd) },
      cached: cached(execution.id),
      startedAt: execution.startedAt?.toISOString() ?? null,
      completedAt: execution.completedAt?.toISOString() ?? null,
      toolCalls: execution.toolCalls.map((call) => ({
        callId: call.callId,
        tool: call.tool,
        input: call.input,
        status: call.status,
        excerpt: call.outputExcerpt,
        error: call.error,
        attempts: call.attempts,
        durationMs: call.durationMs,
        startedAt: call.startedAt.toISOString(),
      })),
    })),
    traceId: task.traceId,
  };
}

function summaryThroughPrisma(task: Awaited<ReturnType<ReturnType<typeof getDb>["task"]["findUniqueOrThrow"]>>) {
  return {
    id: task.id,
    status: task.status,
    prompt: task.prompt,
    template: task.template,
    requireApproval: task.requireApproval,
    error: task.error,
    usage: { inputTokens: task.inputTokens, outputTokens: task.outputTokens, costUsd: Number(task.costUsd) },
    createdAt: task.createdAt.toISOString(),
    startedAt: task.startedAt?.toISOString() ?? null,
    completedAt: task.completedAt?.toISOString() ?? null,
    durationMs:
      task.startedAt && task.completedAt
        ? task.completedAt.getTime() - task.startedAt.getTime()
        : task.startedAt
          ? expect.any(Number)
          : null,
  };
}

describe("the task view", () => {
  it("answers a new task, a completed task and its rerun exactly as the stored rows say", async () => {
    const { callers } = await createTeamWithMembers();
    const created = await createTask(callers.user, { prompt: "  Research tidal energy, then analyse and summarise.  ", template: "brief" });
    // The executor may have started the task by the time it is read back: what creating it
    // answered is the stored row's, as it was before anything ran.
    const stored = await viewThroughPrisma(created.id);
    expect(created).toEqual({
      ...stored,
      status: "queued",
      startedAt: null,
      completedAt: null,
      durationMs: null,
      plan: null,
      result: null,
      error: null,
      executions: [],
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    });
    expect(created.id).toMatch(/^c[a-z0-9]{24}$/);
    expect(created.prompt).toBe("Research tidal energy, then analyse and summarise.");
    const [first] = await readRunEvents(created.id);
    expect(first).toMatchObject({ seq: 1, type: "task.created", payload: { prompt: created.prompt } });

    await waitForTaskStatus(created.id, ["completed", "failed"]);
    const done = await getTask(callers.viewer, created.id);
    expect(done.status).toBe("completed");
    expect(done.executions.length).toBeGreaterThanOrEqual(3);
    expect(done.usage.costUsd).toBeGreaterThanOrEqual(0);
    expect(done).toEqual(await viewThroughPrisma(created.id));

    const analysis = done.executions.find((execution) => execution.agent === "analysis")!;
    // Each attempt carries what it was given: its plan step's subtask and the steps that fed it (the step details show them).
    const planStep = (done.plan as { steps: Array<{ id: string; subtask: string; dependsOn: string[] }> }).steps.find(
      (step) => step.id === analysis.stepId,
    )!;
    expect(analysis.input).toEqual({ subtask: planStep.subtask, dependsOn: planStep.dependsOn });
    const rerun = await rerunTask(callers.user, created.id, { fromStep: analysis.stepId });
    await waitForTaskStatus(rerun.id, ["completed", "failed"]);
    expect(await getTask(callers.user, rerun.id)).toEqual(await viewThroughPrisma(rerun.id));
    const original = await getTask(callers.user, created.id);
    expect(original.reruns).toEqual([rerun.id]);
    expect(original).toEqual(await viewThroughPrisma(created.id));
  });

  it("lists a team's tasks newest first, page by page, as the stored rows say", async () => {
    const { callers } = await createTeamWithMembers();
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) ids.push((await createTask(callers.user, { prompt: `Task number ${index}` })).id);
    const rows = await getDb().task.findMany({ where: { teamId: callers.user.teamId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
    const expected = rows.map(summaryThroughPrisma);

    const firstPage = await listTasks(callers.viewer, { limit: 2 });
    const secondPage = await listTasks(callers.viewer, { limit: 2, cursor: firstPage.nextCursor! });
    const lastPage = await listTasks(callers.viewer, { limit: 2, cursor: secondPage.nextCursor! });
    expect([...firstPage.tasks, ...secondPage.tasks, ...lastPage.tasks].map((task) => task.id)).toEqual(expected.map((task) => task.id));
    expect(lastPage.nextCursor).toBeNull();
    // Compared field by field once the tasks are done, so no task moves on between the two reads.
    for (const id of ids) await waitForTaskStatus(id, ["completed", "failed"]);
    const fresh = await listTasks(callers.viewer, { limit: 5 });
    const again = await getDb().task.findMany({ where: { teamId: callers.user.teamId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
    expect(fresh.tasks).toEqual(
      again.map((task) => ({
        ...summaryThroughPrisma(task),
        parentTaskId: task.parentTaskId,
        submitter: { type: "user", id: task.createdById, name: expect.stringContaining("@test.dev") },
      })),
    );
    // The oldest task as cursor is the end of the list; a cursor that names no task of the team
    // (mistyped, or another team's) is an error, not an empty page that passes for the end.
    expect(await listTasks(callers.viewer, { cursor: expected.at(-1)!.id })).toEqual({ tasks: [], nextCursor: null });
    const elsewhere = await createTask((await createTeamWithMembers()).callers.user, { prompt: "Another team's task" });
    for (const cursor of ["doesnotexist000000000", elsewhere.id]) {
      await expect(listTasks(callers.viewer, { cursor })).rejects.toMatchObject({ code: "bad_request", field: "cursor" });
    }
  });
});
