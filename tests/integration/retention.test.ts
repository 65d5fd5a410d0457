import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { getDb, getPool } from "@/server/db/client";
import { renderMetrics } from "@/server/observability/metrics";
import { pruneOldRows } from "@/server/retention/prune-old-rows";
import { findLastRetentionRun } from "@/server/db/queries/retention";
import { createTask, getTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, THREE_AGENT_PROMPT, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";

/**
 * Retention deletes old run events, workflow state, webhook deliveries and audit events — only
 * of finished work — in small batches while tasks keep running, and the task page's data (task
 * row, result, executions) stays.
 */

useEmbeddedExecutor();

const DAY_MS = 24 * 60 * 60 * 1000;
const longAgo = () => new Date(Date.now() - 40 * DAY_MS).toISOString();
const settings = { runEventDays: 30, workflowStateDays: 7, webhookDeliveryDays: 30, auditEventDays: 365 };

async function count(sql: string, values: unknown[]): Promise<number> {
  return (await getPool().query<{ n: number }>(sql, values)).rows[0]!.n;
}

const eventsOf = (taskId: string) => count(`SELECT count(*)::int AS n FROM "RunEvent" WHERE "taskId" = $1`, [taskId]);
const runsOf = (taskId: string) => count(`SELECT count(*)::int AS n FROM "WorkflowRun" WHERE "event"::text LIKE $1`, [`%${taskId}%`]);
const stepsOf = (taskId: string) =>
  count(`SELECT count(*)::int AS n FROM "WorkflowStep" s JOIN "WorkflowRun" r ON r."id" = s."runId" WHERE r."event"::text LIKE $1`, [
    `%${taskId}%`,
  ]);

/** Makes a task's rows look `when`: its events, its finish, its executor runs' completion. */
async function age(taskId: string, when: string, { finished }: { finished: boolean }) {
  await getPool().query(`UPDATE "RunEvent" SET "createdAt" = $2::timestamp WHERE "taskId" = $1`, [taskId, when]);
  await getPool().query(`UPDATE "WorkflowRun" SET "createdAt" = $2::timestamp WHERE "event"::text LIKE $1`, [`%${taskId}%`, when]);
  if (finished) {
    await getPool().query(`UPDATE "Task" SET "completedAt" = $2::timestamp WHERE "id" = $1`, [taskId, when]);
    await getPool().query(
      `UPDATE "WorkflowRun" SET "completedAt" = $2::timestamp WHERE "event"::text LIKE $1 AND "completedAt" IS NOT NULL`,
      [`%${taskId}%`, when],
    );
  }
}

describe("retention", () => {
  it("prunes exactly the old finished tasks' events and workflow state, in batches while a task runs, and keeps every result", async () => {
    const { team, callers } = await createTeamWithMembers();
    const old = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT });
    const recent = await createTask(callers.user, { prompt: "Summarise tea." });
    const awaiting = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT, requireApproval: true });
    await waitForTaskStatus(old.id, ["completed"]);
    await waitForTaskStatus(recent.id, ["completed"]);
    await waitForTaskStatus(awaiting.id, ["awaiting_approval"]);
    await age(old.id, longAgo(), { finished: true });
    await age(awaiting.id, longAgo(), { finished: false }); // waiting for 40 days: still not finished
    const before = {
      oldEvents: await eventsOf(old.id),
      oldRuns: await runsOf(old.id),
      oldSteps: await stepsOf(old.id),
      recentEvents: await eventsOf(recent.id),
      recentRuns: await runsOf(recent.id),
      awaitingEvents: await eventsOf(awaiting.id),
      awaitingRuns: await runsOf(awaiting.id),
      executions: await count(`SELECT count(*)::int AS n FROM "AgentExecution" WHERE "taskId" = $1`, [old.id]),
      oldView: await getTask(callers.viewer, old.id),
    };
    expect(before.oldEvents).toBeGreaterThan(3);
    expect(before.oldRuns).toBeGreaterThan(1);
    expect(before.oldSteps).toBeGreaterThan(1);
    expect(before.awaitingRuns).toBeGreaterThan(0);

    // Old webhook deliveries: finished ones go, a pending one stays however old; a recent one stays.
    const endpoint = await getDb().webhookEndpoint.create({
      data: { teamId: team.id, url: "https://example.test/hook", events: ["task.budget_exceeded"], secretEncrypted: "unused" },
    });
    const delivery = (status: string, createdAt: string) =>
      getDb().webhookDelivery.create({
        data: {
          teamId: team.id,
          endpointId: endpoint.id,
          messageId: `msg_${Math.random()}`,
          eventType: "task.completed",
          payload: {},
          status,
          createdAt,
        },
      });
    const oldSucceeded = await delivery("succeeded", longAgo());
    const oldPending = await delivery("pending", longAgo());
    const recentFailed = await delivery("failed", new Date().toISOString());

    // A task that runs while the prune deletes, one row at a time.
    const during = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT });
    const report = await pruneOldRows({ settings, batchSize: 1 });
    await waitForTaskStatus(during.id, ["completed"]);

    expect(report).toMatchObject({ runEvents: before.oldEvents, workflowRuns: before.oldRuns, webhookDeliveries: 1 });
    expect(await eventsOf(old.id)).toBe(0);
    expect(await runsOf(old.id)).toBe(0);
    expect(await stepsOf(old.id)).toBe(0);
    expect(await eventsOf(recent.id)).toBe(before.recentEvents);
    expect(await runsOf(recent.id)).toBe(before.recentRuns);
    expect(await eventsOf(awaiting.id)).toBe(before.awaitingEvents);
    expect(await runsOf(awaiting.id)).toBe(before.awaitingRuns);
    const deliveries = await getDb().webhookDelivery.findMany({ where: { endpointId: endpoint.id }, select: { id: true } });
    expect(deliveries.map((row) => row.id).sort()).toEqual([oldPending.id, recentFailed.id].sort());
    expect(oldSucceeded.id).toBeDefined();

    // The task that ran meanwhile: every event written, in order.
    const duringLog = await getPool().query<{ lastSeq: number; events: number }>(
      `SELECT t."lastSeq", (SELECT count(*)::int FROM "RunEvent" e WHERE e."taskId" = t."id") AS events FROM "Task" t WHERE t."id" = $1`,
      [during.id],
    );
    expect(duringLog.rows[0]!.events).toBe(duringLog.rows[0]!.lastSeq);

    // The pruned task still reads whole: status, result, plan and every execution with its output.
    const after = await getTask(callers.viewer, old.id);
    expect(after.status).toBe("completed");
    expect(after.result).toEqual(before.oldView.result);
    expect(after.plan).toEqual(before.oldView.plan);
    expect(after.executions).toEqual(before.oldView.executions);
    expect(await count(`SELECT count(*)::int AS n FROM "AgentExecution" WHERE "taskId" = $1`, [old.id])).toBe(before.executions);

    // The awaiting task can still be approved and run to the end after the prune.
    const { approveTask } = await import("@/server/tasks/task-actions");
    await approveTask(callers.user, awaiting.id, {});
    await waitForTaskStatus(awaiting.id, ["completed"]);

    const last = await findLastRetentionRun();
    expect(last?.pruned).toMatchObject({ runEvents: before.oldEvents, workflowRuns: before.oldRuns, webhookDeliveries: 1 });
    const { text } = await renderMetrics();
    expect(text).toMatch(new RegExp(`chorus_retention_pruned_rows_total\\{kind="run_events"\\} ${before.oldEvents}\\b`));

    // Nothing more is old enough: a second prune deletes nothing.
    expect(await pruneOldRows({ settings })).toEqual({ runEvents: 0, workflowRuns: 0, webhookDeliveries: 0, auditEvents: 0 });
  });

  it("with 0 days, prunes every finished task's events at once and never a running task's", async () => {
    const { callers } = await createTeamWithMembers();
    const done = await createTask(callers.user, { prompt: "Summarise moss." });
    await waitForTaskStatus(done.id, ["completed"]);
    const awaiting = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT, requireApproval: true });
    await waitForTaskStatus(awaiting.id, ["awaiting_approval"]);
    const awaitingEvents = await eventsOf(awaiting.id);

    // createdAt of rows just written can equal "now" to the millisecond: look a moment ahead.
    await pruneOldRows({ now: new Date(Date.now() + 1000), settings: { runEventDays: 0, workflowStateDays: 0, webhookDeliveryDays: 0 } });
    expect(await eventsOf(done.id)).toBe(0);
    expect(await runsOf(done.id)).toBe(0);
    expect(await eventsOf(awaiting.id)).toBe(awaitingEvents);
    expect((await getTask(callers.viewer, done.id)).result).toBeTruthy();
  });

  it("runs now from the CLI, with the retention of its environment", async () => {
    const { callers } = await createTeamWithMembers();
    const done = await createTask(callers.user, { prompt: "Summarise ferns." });
    await waitForTaskStatus(done.id, ["completed"]);
    const events = await eventsOf(done.id);
    await getPool().query(`UPDATE "Task" SET "completedAt" = $2::timestamp WHERE "id" = $1`, [done.id, longAgo()]);
    await getPool().query(`UPDATE "RunEvent" SET "createdAt" = $2::timestamp WHERE "taskId" = $1`, [done.id, longAgo()]);
    const cli = spawnSync("node", ["bin/chorus.mjs", "prune"], {
      env: { ...process.env, LOG_LEVEL: "warn", CHORUS_RUN_EVENT_RETENTION_DAYS: "35" },
      encoding: "utf8",
    });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`Pruned ${events} run events`);
    expect(await eventsOf(done.id)).toBe(0);
  });
});
