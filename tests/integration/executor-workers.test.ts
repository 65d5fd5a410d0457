import { spawn } from "node:child_process";
import { Inngest } from "inngest";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPool } from "@/server/db/client";
import { marksIn, pause, quiet, runFor, until } from "../support/executor-helpers";
import { createEmbeddedExecutor, embeddedClientOptions, embeddedEventFetch } from "@/inngest/executor";

/**
 * Workers sharing one database: a worker killed mid-run (SIGKILL, no clean-up) leaves its run
 * to another worker, which resumes from the stored steps; two live workers never drive the
 * same run at once.
 */

const marks = (runKey: string) => marksIn("executor_test_marks", runKey);

beforeAll(async () => {
  await getPool().query(`CREATE TABLE executor_test_marks ("runKey" text NOT NULL, "step" text NOT NULL, "at" timestamptz DEFAULT now())`);
});

/**
 * The crashing worker: a separate Node process running the same function, whose second step
 * never finishes there. Its first step's side effect is a row in executor_test_marks.
 */
const crashingWorker = `
import pg from "pg";
import { Inngest } from "inngest";
import { createEmbeddedExecutor, embeddedClientOptions } from "@/inngest/executor";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const mark = (runKey, step) => pool.query('INSERT INTO executor_test_marks ("runKey", "step") VALUES ($1, $2)', [runKey, step]);
const inngest = new Inngest({ id: "workers", ...embeddedClientOptions, logger: { info() {}, warn() {}, error() {}, debug() {} } });
const pipeline = inngest.createFunction({ id: "pipeline", triggers: [{ event: "test/pipeline" }] }, async ({ event, step }) => {
  const one = await step.run("one", async () => (await mark(event.id, "one"), "first"));
  const two = await step.run("two", async () => {
    await mark(event.id, "two");
    await new Promise(() => {}); // the process is killed here
  });
  return step.run("three", async () => (await mark(event.id, "three"), [one, two]));
});
const executor = createEmbeddedExecutor({ pool, client: inngest, functions: [pipeline], workerId: "doomed-worker", leaseMs: 600, pollIntervalMs: 20 });
executor.start();
await inngest.send({ name: "test/pipeline", id: "crash-run", data: {} });
`;

function pipelineFunction(inngest: Inngest.Any) {
  const mark = (runKey: string, step: string) =>
    getPool().query(`INSERT INTO executor_test_marks ("runKey", "step") VALUES ($1, $2)`, [runKey, step]);
  return inngest.createFunction({ id: "pipeline", triggers: [{ event: "test/pipeline" }] }, async ({ event, step }) => {
    const one = await step.run("one", async () => (await mark(event.id!, "one"), "first"));
    const two = await step.run("two", async () => (await mark(event.id!, "two"), "second"));
    return step.run("three", async () => (await mark(event.id!, "three"), [one, two]));
  });
}

/** A two-step function whose first step takes `slowMs`; counts how often each step body runs. */
function slowPipeline(appId: string, slowMs: number) {
  const inngest = new Inngest({ id: appId, ...embeddedClientOptions, logger: quiet });
  const counts: Record<string, number> = {};
  const slow = inngest.createFunction({ id: "slow", triggers: [{ event: "test/slow" }] }, async ({ step }) => {
    await step.run("slow", async () => {
      counts.slow = (counts.slow ?? 0) + 1;
      await pause(slowMs);
    });
    await step.run("after", () => {
      counts.after = (counts.after ?? 0) + 1;
    });
  });
  return { inngest, slow, counts };
}

describe("embedded executor workers", () => {
  it("resumes a run whose worker was killed mid-step, without re-running its completed steps", async () => {
    const child = spawn("npx", ["tsx", "--input-type=module", "-e", crashingWorker], {
      cwd: process.cwd(),
      env: { ...process.env, LOG_LEVEL: "silent" },
      stdio: ["ignore", "ignore", "pipe"],
      detached: true, // its own process group, so the kill reaches node and not just npx
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await until(async () => (await marks("crash-run")).two === 1, 20_000, `the worker to reach step two ${stderr}`);
    } finally {
      process.kill(-child.pid!, "SIGKILL");
    }
    await new Promise((resolve) => child.once("exit", resolve));
    expect(await runFor("crash-run")).toMatchObject({ status: "running", leaseOwner: "doomed-worker" });

    const inngest = new Inngest({ id: "workers", ...embeddedClientOptions, logger: quiet });
    const survivor = createEmbeddedExecutor({
      pool: getPool(),
      client: inngest,
      functions: [pipelineFunction(inngest)],
      workerId: "survivor",
      leaseMs: 600,
      pollIntervalMs: 20,
    });
    survivor.start();
    try {
      const run = await until(
        async () => {
          const current = await runFor("crash-run");
          return current?.status === "completed" && current;
        },
        10_000,
        "the survivor to finish the run",
      );
      expect(run.output).toEqual(["first", "second"]);
      // Step one completed before the crash: never again. Step two was cut off mid-way, so it
      // ran again (at-least-once); step three ran once, on the survivor.
      expect(await marks("crash-run")).toEqual({ one: 1, two: 2, three: 1 });
      expect(survivor.stats().runsClaimed).toBe(1);
    } finally {
      await survivor.stop();
    }
  });

  it("shares a batch of runs between two executors on one database, each run driven by one at a time", async () => {
    const inngest = new Inngest({ id: "shared", ...embeddedClientOptions, logger: quiet });
    const stepRuns = new Map<string, number>();
    const active = new Set<string>();
    let overlaps = 0;
    const job = inngest.createFunction({ id: "job", triggers: [{ event: "test/job" }] }, async ({ event, step, runId }) => {
      for (const name of ["fetch", "think", "write"]) {
        await step.run(name, async () => {
          if (active.has(runId)) overlaps++;
          active.add(runId);
          stepRuns.set(`${event.id}:${name}`, (stepRuns.get(`${event.id}:${name}`) ?? 0) + 1);
          await pause(5);
          active.delete(runId);
        });
      }
    });
    const separatePool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 5 });
    const options = { client: inngest, functions: [job], concurrency: 4, leaseMs: 2_000, pollIntervalMs: 20 };
    const first = createEmbeddedExecutor({ ...options, pool: getPool(), workerId: "first" });
    const second = createEmbeddedExecutor({ ...options, pool: separatePool, workerId: "second" });
    first.start();
    second.start();
    try {
      const events = Array.from({ length: 40 }, (_, index) => ({ name: "test/job", id: `job-${index}`, data: {} }));
      await inngest.send(events);
      await until(
        async () => {
          const { rows } = await getPool().query(
            `SELECT count(*)::int AS "done" FROM "WorkflowRun" WHERE "functionId" = 'shared-job' AND "status" = 'completed'`,
          );
          return rows[0].done === 40;
        },
        15_000,
        "all 40 runs to complete",
      );
      expect(stepRuns.size).toBe(120);
      expect([...stepRuns.values()].every((times) => times === 1)).toBe(true);
      expect(overlaps).toBe(0);
      expect(first.stats().runsClaimed).toBeGreaterThan(0);
      expect(second.stats().runsClaimed).toBeGreaterThan(0);
      expect(first.stats().runsClaimed + second.stats().runsClaimed).toBe(40);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
      await separatePool.end();
    }
  });

  it("keeps a run through a step longer than its lease by renewing it, so no other worker takes over", async () => {
    const { inngest, slow, counts } = slowPipeline("renewal", 1_000);
    const options = { client: inngest, functions: [slow], leaseMs: 300, pollIntervalMs: 20 };
    const holder = createEmbeddedExecutor({ ...options, pool: getPool(), workerId: "holder" });
    const rival = createEmbeddedExecutor({ ...options, pool: getPool(), workerId: "rival" });
    holder.start();
    try {
      await inngest.send({ name: "test/slow", id: "long-step", data: {} });
      await until(async () => counts.slow === 1, 5_000, "the slow step to start");
      rival.start();
      await until(async () => (await runFor("long-step"))?.status === "completed", 5_000, "the run to complete");
      expect(counts).toEqual({ slow: 1, after: 1 });
      expect(rival.stats().runsClaimed).toBe(0);
    } finally {
      await Promise.all([holder.stop(), rival.stop()]);
    }
  });

  it("on stop, lets the step in progress finish and be stored, then hands the run to the next worker", async () => {
    const { inngest, slow, counts } = slowPipeline("handoff", 300);
    const options = { client: inngest, functions: [slow], pollIntervalMs: 20 };
    const leaving = createEmbeddedExecutor({ ...options, pool: getPool(), workerId: "leaving" });
    leaving.start();
    await inngest.send({ name: "test/slow", id: "handoff-run", data: {} });
    await until(async () => counts.slow === 1, 5_000, "the slow step to start");
    await leaving.stop();
    expect(await runFor("handoff-run")).toMatchObject({ status: "running", leaseOwner: null });
    expect(counts).toEqual({ slow: 1 });

    const arriving = createEmbeddedExecutor({ ...options, pool: getPool(), workerId: "arriving" });
    arriving.start();
    try {
      await arriving.idle();
      expect((await runFor("handoff-run"))?.status).toBe("completed");
      expect(counts).toEqual({ slow: 1, after: 1 });
    } finally {
      await arriving.stop();
    }
  });

  it("answers the SDK's event POST clearly when no executor runs in this process", async () => {
    const response = await embeddedEventFetch("http://chorus.embedded/e/embedded", {
      method: "POST",
      body: JSON.stringify([{ name: "test/anything", data: {} }]),
    });
    expect(response.status).toBe(503);
    expect((await response.json()).error).toMatch(/No embedded executor is running in this process/);
    const inngest = new Inngest({ id: "nobody-home", ...embeddedClientOptions, logger: quiet });
    await expect(inngest.send({ name: "test/anything", data: {} })).rejects.toThrow(/No embedded executor is running/);
  });
});

afterAll(async () => {
  await getPool().query(`DROP TABLE IF EXISTS executor_test_marks`);
});
