import type { ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { createApiKeyWithCli, readEventLog, spawnChorus, waitForTask } from "./support";

/**
 * CHORUS_WORKERS=2: one primary (database, first run, supervision) and two workers sharing the
 * port, each with its own executor. Tasks run across both, a task's live stream carries every
 * event whichever worker wrote it, a killed worker is replaced, and SIGTERM stops everything.
 */
const port = 3109;
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = "/tmp/chorus-e2e-workers";

function startServer(output: string[]): ChildProcess {
  const child = spawnChorus({
    port,
    dataDir,
    teamName: "Workers Team",
    admin: { email: "admin@workers.test", password: "workers-password" },
    env: { CHORUS_WORKERS: "2", CHORUS_OFFLINE_TOKEN_DELAY_MS: "5", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk) => output.push(String(chunk)));
  child.stderr!.on("data", (chunk) => output.push(String(chunk)));
  return child;
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The pids of the processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Submits a task and follows its live stream: the event types and when each delta arrived. */
async function submitAndWatch(key: string, prompt: string) {
  const created = await fetch(`${baseURL}/api/v1/tasks`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ prompt }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const started = Date.now();
  const stream = await fetch(`${baseURL}/api/tasks/${id}/events`, { headers: { Authorization: `Bearer ${key}` } });
  const reader = stream.body!.getReader();
  const decoder = new TextDecoder();
  const types: string[] = [];
  const deltaTimes: number[] = [];
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const blocks = buffer.split("\n\n");
    buffer = blocks.pop()!;
    for (const block of blocks) {
      const type = /^event: (.+)$/m.exec(block)?.[1];
      if (!type || !/^id: /m.test(block)) continue; // run events only, not the closing `end`
      types.push(type);
      if (type === "agent.delta") deltaTimes.push(Date.now() - started);
    }
  }
  return { id, types, deltaTimes };
}

test("two workers share the port and the work, stream every event, survive a lost worker, stop on SIGTERM", async ({ request }) => {
  test.setTimeout(240_000);
  rmSync(dataDir, { recursive: true, force: true });
  const output: string[] = [];
  const server = startServer(output);
  try {
    await waitFor(() => output.join("").includes("Chorus is running"), 180_000, "the server to start");
    expect(output.join("")).toContain(`Chorus is running at http://127.0.0.1:${port} (2 workers)`);
    const workers = childrenOf(server.pid!).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("bin/start.mjs"));
    expect(workers).toHaveLength(2);
    const key = createApiKeyWithCli(dataDir, "workers-team", "user");

    // Requests, executors and streams land on either worker; every stream still gets everything live.
    const watched = await Promise.all(
      Array.from({ length: 6 }, (_, n) => submitAndWatch(key, `Compare heat pumps and gas boilers, take ${n}`)),
    );
    for (const { id, types, deltaTimes } of watched) {
      expect(types.at(-1)).toBe("task.completed");
      // The live stream carried exactly the stored log: nothing missed, nothing twice.
      const events = await readEventLog(baseURL, key, id);
      expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
      expect(types).toEqual(events.map((event) => event.type));
      expect(types.filter((type) => type === "agent.completed").length).toBeGreaterThanOrEqual(3);
      // Live, not in the streams' once-a-second re-reads: deltas keep arriving well within a second.
      const gaps = deltaTimes.slice(1).map((time, index) => time - deltaTimes[index]!);
      expect(deltaTimes.length).toBeGreaterThan(10);
      expect(Math.max(...gaps)).toBeLessThan(700);
    }
    const executors = new Set([...output.join("").matchAll(/"embedded executor started","workerId":"([^"]+)"/g)].map((match) => match[1]));
    expect(executors.size).toBe(2);

    // A worker killed outright is replaced, and work goes on.
    process.kill(workers[0]!, "SIGKILL");
    await waitFor(() => output.join("").includes("worker exited; starting another"), 10_000, "the supervisor to notice");
    await waitFor(
      () =>
        childrenOf(server.pid!)
          .filter((pid) => !workers.includes(pid) && isAlive(pid))
          .some((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("bin/start.mjs")),
      30_000,
      "a new worker",
    );
    const created = await request.post(`${baseURL}/api/v1/tasks`, {
      headers: { Authorization: `Bearer ${key}` },
      data: { prompt: "Summarise what a heat pump does" },
    });
    expect(created.status()).toBe(201);
    const done = await waitForTask(request, baseURL, key, (await created.json()).id, (task) =>
      ["completed", "failed"].includes(task.status),
    );
    expect(done.status).toBe("completed");

    // SIGTERM to the primary stops the workers, then the database, and exits cleanly.
    const all = [server.pid!, ...childrenOf(server.pid!)];
    const exited = new Promise<number | null>((resolve) => server.once("exit", (code) => resolve(code)));
    server.kill("SIGTERM");
    expect(await exited).toBe(0);
    await waitFor(() => all.every((pid) => !isAlive(pid)), 15_000, "every process to exit");
  } finally {
    if (server.exitCode === null) server.kill("SIGKILL");
  }
});
