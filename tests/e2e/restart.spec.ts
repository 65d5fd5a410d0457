import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { createApiKeyWithCli, readEventLog, spawnChorus, waitForHealth, waitForTask } from "./support";

/**
 * Crash safety, end to end: a task is mid-run when the server is killed with SIGKILL; a new
 * server on the same data dir finishes it, and no step that had completed runs again.
 */
const port = 3108;
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = "/tmp/chorus-e2e-restart";

function startServer(): ChildProcess {
  return spawnChorus({
    port,
    dataDir,
    teamName: "Restart Team",
    admin: { email: "admin@restart.test", password: "restart-password" },
    env: { CHORUS_OFFLINE_TOKEN_DELAY_MS: "25" },
  });
}

test("a task survives the server being killed mid-run, without re-running completed steps", async ({ request }) => {
  test.setTimeout(240_000);
  rmSync(dataDir, { recursive: true, force: true });
  let server = startServer();
  try {
    await waitForHealth(baseURL);
    const key = createApiKeyWithCli(dataDir, "restart-team", "user");
    const created = await request.post(`${baseURL}/api/v1/tasks`, {
      headers: { Authorization: `Bearer ${key}` },
      data: { prompt: "Research, analyse and summarise how libraries lend e-books." },
    });
    expect(created.status()).toBe(201);
    const { id } = await created.json();

    const midRun = await waitForTask(request, baseURL, key, id, (task) =>
      task.executions.some((execution: { status: string }) => execution.status === "completed"),
    );
    server.kill("SIGKILL");
    await new Promise((resolve) => server.once("exit", resolve));
    const completedBeforeKill: string[] = midRun.executions
      .filter((execution: { status: string }) => execution.status === "completed")
      .map((execution: { stepId: string }) => execution.stepId);
    expect(midRun.status).toBe("running");
    expect(completedBeforeKill.length).toBeGreaterThan(0);

    server = startServer();
    await waitForHealth(baseURL);
    const done = await waitForTask(request, baseURL, key, id, (task) => ["completed", "failed"].includes(task.status));
    expect(done.status).toBe("completed");
    expect(done.executions).toHaveLength(3);

    const events = await readEventLog(baseURL, key, id);
    expect(events.filter((event) => event.type === "task.planned")).toHaveLength(1);
    for (const stepId of completedBeforeKill) {
      const starts = events.filter((event) => event.type === "agent.started" && event.payload.stepId === stepId);
      expect(starts, `step ${stepId} ran again after the restart`).toHaveLength(1);
    }
    expect(events.filter((event) => event.type === "task.completed")).toHaveLength(1);
    // The sequence numbers are gap-free: nothing was lost in the crash.
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
  } finally {
    server.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
});
