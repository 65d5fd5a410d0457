import { isEncryptedValue } from "@inngest/middleware-encryption";
import { describe, expect, it } from "vitest";
import { getPool } from "@/server/db/client";
import { DURABLE_STATE_STRATEGY } from "@/server/secrets/durable-state-encryption";
import { getTask } from "@/server/tasks/tasks";
import { createTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, expectCompletedThreeAgentTask, THREE_AGENT_PROMPT, waitForTaskStatus } from "../support/fixtures";
import { sessionCookie, useApiServer } from "../support/api-server";

/**
 * Task content in the executor's durable state is encrypted (docs/secrets.md): a task's prompt,
 * plan and the agents' output never appear in clear in WorkflowRun / WorkflowStep / WorkflowWait,
 * while the task completes — also across an executor restart mid-task, which replays from the
 * stored, encrypted steps — and its result reads in clear through the API.
 */

process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS ??= "0";
const api = useApiServer();

async function startExecutor() {
  const { startExecutor: start } = await import("@/server/runtime/executor");
  return start({ pool: getPool(), concurrency: 16 });
}

/** Every executor row of the task's runs, as text (the coordinator's run and the agent runs it invoked). */
async function executorStateOf(taskId: string): Promise<string> {
  const { rows } = await getPool().query<{ state: string }>(
    `WITH runs AS (SELECT * FROM "WorkflowRun" r WHERE r.event::text LIKE '%' || $1 || '%')
     SELECT (SELECT coalesce(json_agg(runs)::text, '') FROM runs)
       || (SELECT coalesce(json_agg(s)::text, '') FROM "WorkflowStep" s WHERE s."runId" IN (SELECT id FROM runs))
       || (SELECT coalesce(json_agg(w)::text, '') FROM "WorkflowWait" w WHERE w."runId" IN (SELECT id FROM runs)) AS state`,
    [taskId],
  );
  return rows[0]!.state;
}

/** Distinctive pieces of what the task holds in clear in the app's own rows: its prompt, plan and every agent's output. */
function contentOf(task: Awaited<ReturnType<typeof getTask>>, marker: string): string[] {
  const outputs = task.executions.map((execution) => String((execution.output as { text?: string } | null)?.text ?? ""));
  const subtasks = ((task.plan as { steps: { subtask: string }[] }).steps ?? []).map((step) => step.subtask);
  return [marker, "community gardens reduce food costs", ...subtasks, ...outputs.map((text) => text.slice(0, 60)).filter(Boolean)];
}

describe("task content in the executor's durable state", () => {
  it("is stored encrypted, while the task completes and its result reads in clear through the API", async () => {
    const stop = await startExecutor();
    try {
      const { callers } = await createTeamWithMembers();
      const marker = `zebra-quartz-${Date.now()}`;
      const created = await createTask(callers.user, { prompt: `${THREE_AGENT_PROMPT} Mention ${marker}.` });
      await waitForTaskStatus(created.id, ["completed", "failed"]);
      const task = await getTask(callers.viewer, created.id);
      expectCompletedThreeAgentTask(task);

      const state = await executorStateOf(created.id);
      expect(state).toContain(created.id); // the scan did find the task's runs…
      expect(state).toContain(`"__STRATEGY__":"${DURABLE_STATE_STRATEGY}"`); // …which hold encrypted values…
      for (const content of contentOf(task, marker)) expect(state).not.toContain(content); // …and no task content in clear.

      const { rows: steps } = await getPool().query<{ output: unknown }>(
        `SELECT s.data AS output FROM "WorkflowStep" s JOIN "WorkflowRun" r ON r.id = s."runId" WHERE r.event::text LIKE '%' || $1 || '%' AND s.data IS NOT NULL`,
        [created.id],
      );
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps) expect(isEncryptedValue(step.output)).toBe(true);

      const { cookie } = await sessionCookie({ userId: callers.viewer.userId!, teamId: callers.viewer.teamId });
      const response = await fetch(`${api.baseURL}/api/v1/tasks/${created.id}`, { headers: { cookie } });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { prompt: string; result: { markdown: string } };
      expect(body.prompt).toContain(marker);
      expect(body.result.markdown).toMatch(/community garden/i);
    } finally {
      await stop();
    }
  });

  it("lets a restarted executor resume a task from its encrypted steps", async () => {
    const { callers } = await createTeamWithMembers();
    process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = "3";
    let stop = await startExecutor();
    let created: { id: string };
    try {
      created = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT });
      // Stop once the plan step is stored (encrypted) and before the task is done.
      for (;;) {
        const { rows } = await getPool().query(
          `SELECT 1 FROM "WorkflowStep" s JOIN "WorkflowRun" r ON r.id = s."runId" WHERE r.event::text LIKE '%' || $1 || '%' AND s.data IS NOT NULL`,
          [created.id],
        );
        if (rows.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      await stop();
      process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = "0";
    }
    const { rows } = await getPool().query<{ status: string }>(`SELECT status FROM "Task" WHERE id = $1`, [created.id]);
    expect(rows[0]!.status).not.toBe("completed");

    stop = await startExecutor();
    try {
      await waitForTaskStatus(created.id, ["completed", "failed"]);
      expectCompletedThreeAgentTask(await getTask(callers.viewer, created.id));
    } finally {
      await stop();
    }
  });
});
