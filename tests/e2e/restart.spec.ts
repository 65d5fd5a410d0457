import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { createApiKeyWithCli, readEventLog, spawnChorus, waitForHealth, waitForTask } from "./support";

/**
 * Crash safety, end to end: a task is mid-run when the server is killed with SIGKILL; a new
 * server on the same data dir finishes it, and no step that had completed runs again. And the
 * task page open in a browser meanwhile: its event stream drops with the server, reconnects on
 * its own, and shows every event once — a step that restarted shows its new text, not both.
 */
const ADMIN = { email: "admin@restart.test", password: "restart-password" };
const port = 3108;
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = "/tmp/chorus-e2e-restart";

function startServer(): ChildProcess {
  return spawnChorus({
    port,
    dataDir,
    teamName: "Restart Team",
    admin: ADMIN,
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

test("the task page follows a task across the server's restart: nothing missed or repeated, a restarted step's text replaced", async ({
  browser,
  request,
}) => {
  test.setTimeout(240_000);
  rmSync(dataDir, { recursive: true, force: true });
  let server = startServer();
  const page = await browser.newPage({ baseURL });
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    // While the server is down the browser logs the refused reconnection attempts: those are the point.
    if (message.type() === "error" && !/ERR_CONNECTION_REFUSED|Failed to load resource|EventSource/i.test(message.text()))
      consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  // Every message the page's EventSource hears, and every (re)connection, as the page's own code gets them.
  await page.addInitScript(() => {
    const log: Array<{ type: string; id: string }> = [];
    const seen = new WeakSet<Event>();
    let opens = 0;
    window.chorusStreamLog = () => ({ log, opens });
    const prototype = EventSource.prototype as unknown as {
      addEventListener(type: string, listener: EventListener, options?: unknown): void;
    };
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with each EventSource as `this`
    const add = prototype.addEventListener;
    prototype.addEventListener = function (this: EventSource, type: string, listener: EventListener, options?: unknown) {
      // Once per event, though the page may listen to one type twice (the terminal ones close the stream too).
      if (type !== "open" && type !== "error")
        add.call(this, type, (event: Event) => {
          if (seen.has(event)) return;
          seen.add(event);
          log.push({ type, id: (event as MessageEvent).lastEventId });
        });
      add.call(this, type, listener, options);
    };
    const onopen = Object.getOwnPropertyDescriptor(EventSource.prototype, "onopen")!;
    Object.defineProperty(EventSource.prototype, "onopen", {
      ...onopen,
      set(this: EventSource, handler: ((event: Event) => void) | null) {
        onopen.set!.call(this, (event: Event) => {
          opens += 1;
          handler?.(event);
        });
      },
    });
  });
  try {
    await waitForHealth(baseURL);
    const key = createApiKeyWithCli(dataDir, "restart-team", "user");
    await page.goto("/signin");
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/tasks$/);

    const created = await request.post(`${baseURL}/api/v1/tasks`, {
      headers: { Authorization: `Bearer ${key}` },
      data: { prompt: "Research, analyse and summarise how libraries lend e-books." },
    });
    const { id } = await created.json();
    await page.goto(`/tasks/${id}`);
    // Killed while an agent is writing: its step restarts on the new server.
    await waitForTask(request, baseURL, key, id, (task) =>
      task.executions.some((execution: { status: string }) => execution.status === "running"),
    );
    await expect
      .poll(async () => (await page.evaluate(() => window.chorusStreamLog().log)).some((m) => m.type === "agent.delta"))
      .toBe(true);
    server.kill("SIGKILL");
    await new Promise((resolve) => server.once("exit", resolve));
    server = startServer();
    await waitForHealth(baseURL);

    await expect(page.getByTestId("task-status")).toHaveText(/completed/i, { timeout: 120_000 });
    const done = await waitForTask(request, baseURL, key, id, (task) => task.status === "completed");
    const { log, opens } = await page.evaluate(() => window.chorusStreamLog());
    expect(opens, "the stream reconnected after the restart").toBeGreaterThanOrEqual(2);
    // Every run event of the log reached the page once, in order (the reconnection resumed with Last-Event-ID).
    const heard = log.filter((message) => message.id !== "").map((message) => Number(message.id));
    const stored = (await readEventLog(baseURL, key, id)).map((event) => event.seq);
    expect(heard).toEqual(stored);
    // Each step shows its stored output once: a restarted step's partial text was replaced, not kept.
    for (const execution of done.executions as Array<{ stepId: string; output: { text: string } }>) {
      // The card renders the output as Markdown inside a closed <details>: compare letters and digits of its whole text.
      const plain = (text: string) => text.replace(/[^\p{L}\p{N}]+/gu, "");
      const card = page.getByTestId(`step-${execution.stepId}`);
      const opening = plain(execution.output.text).slice(0, 60);
      const shown = plain((await card.textContent()) ?? "").split(opening).length - 1;
      expect(shown, `step ${execution.stepId} shows its output ${shown} times`).toBe(1);
    }
    expect(consoleErrors).toEqual([]);
  } finally {
    await page.close();
    server.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
});

declare global {
  interface Window {
    chorusStreamLog(): { log: Array<{ type: string; id: string }>; opens: number };
  }
}
