import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect } from "vitest";
import { getDb, getPool } from "@/server/db/client";
import type { Caller } from "@/server/auth/caller";
import type { Role } from "@/server/db/types";
import type { TaskView } from "@/server/tasks/task-views";
import { readRunEvents } from "@/server/db/queries/run-events";

/** A prompt the default plan answers with research → analysis → synthesis. */
export const THREE_AGENT_PROMPT = "Research how community gardens reduce food costs, then analyse and summarise.";

/** The task THREE_AGENT_PROMPT started, run to the end: each agent once, in plan order, with a result on the topic. */
export function expectCompletedThreeAgentTask(task: TaskView) {
  expect(task.status).toBe("completed");
  expect(task.plan).toMatchObject({ steps: [{ agent: "research" }, { agent: "analysis" }, { agent: "synthesis" }] });
  expect(task.executions.map((execution) => [execution.agent, execution.status, execution.attempt])).toEqual([
    ["research", "completed", 1],
    ["analysis", "completed", 1],
    ["synthesis", "completed", 1],
  ]);
  expect((task.result as { markdown: string }).markdown).toMatch(/community garden/i);
}

/** A fresh team with one member per role, as callers. */
export async function createTeamWithMembers() {
  const db = getDb();
  const suffix = randomBytes(3).toString("hex");
  const team = await db.team.create({ data: { slug: `team-${suffix}`, name: `Team ${suffix}` } });
  const callers = {} as Record<Role, Caller>;
  for (const role of ["admin", "user", "viewer"] as const) {
    const user = await db.user.create({ data: { email: `${role}-${suffix}@test.dev` } });
    await db.membership.create({ data: { teamId: team.id, userId: user.id, role } });
    callers[role] = { teamId: team.id, userId: user.id, role };
  }
  return { team, callers };
}

export async function waitForTaskStatus(taskId: string, statuses: string[], timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await getPool().query<{ status: string }>(`SELECT status FROM "Task" WHERE id = $1`, [taskId]);
    if (rows[0] && statuses.includes(rows[0].status)) return rows[0].status;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${rows[0]?.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Runs Chorus's embedded executor with its real functions for the whole test file, on the
 * offline model with no token delay unless the file set otherwise.
 */
export function useEmbeddedExecutor(concurrency = 16) {
  process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS ??= "0";
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const { startExecutor } = await import("@/server/runtime/executor");
    stop = await startExecutor({ pool: getPool(), concurrency });
  });
  afterAll(async () => {
    await stop?.();
  });
}

export async function eventTypes(taskId: string) {
  return (await readRunEvents(taskId)).map((event) => event.type);
}

/**
 * Starts a one-agent task on a slow offline model, cancels it while its agent streams, and
 * checks what a cancel promises: the running execution is marked cancelled within a second with
 * the partial output it had streamed, nothing starts afterwards, the status stays cancelled,
 * and a second cancel is a conflict. The task actions are passed in, so a file can import them
 * after setting the environment they depend on (server mode). Returns the task's id.
 */
export async function expectCancelStopsTaskMidStream(
  callers: Record<Role, Caller>,
  actions: {
    createTask(caller: Caller, input: { prompt: string }): Promise<TaskView>;
    getTask(caller: Caller, id: string): Promise<TaskView>;
    cancelTask(caller: Caller, id: string): Promise<TaskView>;
  },
): Promise<string> {
  const previousDelay = process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS;
  process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = "20";
  try {
    const task = await actions.createTask(callers.user, { prompt: "Research the history of lighthouses in great detail." });
    const deadline = Date.now() + 15_000;
    while (!(await eventTypes(task.id)).includes("agent.delta")) {
      if (Date.now() > deadline) throw new Error("no agent started streaming");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const cancelledAt = Date.now();
    const cancelled = await actions.cancelTask(callers.user, task.id);
    expect(cancelled.status).toBe("cancelled");

    // The running execution is marked cancelled within a second, with what it had streamed.
    for (;;) {
      const running = await getDb().agentExecution.findFirst({ where: { taskId: task.id, status: "running" } });
      if (!running) break;
      expect(Date.now() - cancelledAt).toBeLessThan(1000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const executions = await getDb().agentExecution.findMany({ where: { taskId: task.id } });
    expect(executions).toHaveLength(1);
    expect(executions[0]).toMatchObject({ status: "cancelled" });
    expect((executions[0]!.output as { text: string; partial: boolean }).partial).toBe(true);
    expect((executions[0]!.output as { text: string }).text.length).toBeGreaterThan(0);

    // Nothing starts afterwards and the status stays cancelled.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const types = await eventTypes(task.id);
    expect(types.slice(types.indexOf("task.cancelled"))).not.toContain("agent.started");
    expect((await actions.getTask(callers.user, task.id)).status).toBe("cancelled");
    await expect(actions.cancelTask(callers.user, task.id)).rejects.toMatchObject({ code: "conflict" });
    return task.id;
  } finally {
    process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = previousDelay;
  }
}
