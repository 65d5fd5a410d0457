import { type ChildProcess, spawn } from "node:child_process";
import { hostname } from "node:os";
import { Inngest } from "inngest";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPool } from "@/server/db/client";
import { marksIn, pause, quiet, runFor, until } from "../support/executor-helpers";
import { createEmbeddedExecutor, embeddedClientOptions } from "@/inngest/executor";

/**
 * A worker that dies on this machine (`kill -9`, then a restart) has its runs taken over at
 * once, not after its lease expires — here 30 s, far longer than any wait below — while a live
 * worker's lease is never ended early.
 */
const LEASE_MS = 30_000;

const marks = (runKey: string) => marksIn("takeover_marks", runKey);

beforeAll(async () => {
  await getPool().query(
    `CREATE TABLE takeover_marks ("runKey" text NOT NULL, "step" text NOT NULL, "seq" bigint GENERATED ALWAYS AS IDENTITY)`,
  );
});
afterAll(async () => {
  await getPool().query(`DROP TABLE IF EXISTS takeover_marks`);
});

/**
 * The function every worker here runs. `hang` makes step two never finish in that process.
 * At most one step per team at once, so a dead worker's run also holds its team's only slot.
 */
const functionSource = `
const mark = (runKey, step) => pool.query('INSERT INTO takeover_marks ("runKey", "step") VALUES ($1, $2)', [runKey, step]);
const pipeline = inngest.createFunction(
  { id: "pipeline", triggers: [{ event: "test/pipeline" }], concurrency: { key: "event.data.teamId", limit: 1 } },
  async ({ event, step }) => {
    await step.run("one", async () => (await mark(event.id, "one"), "first"));
    await step.run("two", async () => {
      await mark(event.id, "two");
      if (hang) await new Promise(() => {});
      return "second";
    });
    return step.run("three", async () => (await mark(event.id, "three"), "done"));
  },
);`;

/** A separate Node process with a default worker id (`<hostname>:<pid>:<tag>`) that starts a run and hangs in it. */
function startWorkerProcess(eventId: string, teamId: string): ChildProcess {
  const script = `
import pg from "pg";
import { Inngest } from "inngest";
import { createEmbeddedExecutor, embeddedClientOptions } from "@/inngest/executor";
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const inngest = new Inngest({ id: "takeover", ...embeddedClientOptions, logger: { info() {}, warn() {}, error() {}, debug() {} } });
const hang = true;
${functionSource}
const executor = createEmbeddedExecutor({ pool, client: inngest, functions: [pipeline], leaseMs: ${LEASE_MS}, pollIntervalMs: 20 });
executor.start();
await inngest.send({ name: "test/pipeline", id: ${JSON.stringify(eventId)}, data: { teamId: ${JSON.stringify(teamId)} } });
`;
  return spawn("npx", ["tsx", "--input-type=module", "-e", script], {
    cwd: process.cwd(),
    env: { ...process.env, LOG_LEVEL: "silent" },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true, // its own process group, so the kill reaches node and not just npx
  });
}

async function killProcessGroup(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(-child.pid!, "SIGKILL");
  await exited;
}

/** An executor in this process (a restarted server), with the worker processes' function built from the same source. */
function survivor() {
  const inngest = new Inngest({ id: "takeover", ...embeddedClientOptions, logger: quiet });
  const pool = getPool();
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the same function source the worker processes run
  const pipeline = new Function("inngest", "pool", "hang", `${functionSource}; return pipeline;`)(inngest, pool, false);
  return {
    inngest,
    executor: createEmbeddedExecutor({ pool, client: inngest, functions: [pipeline], leaseMs: LEASE_MS, pollIntervalMs: 20 }),
  };
}

describe("taking over a dead local worker's runs", () => {
  it("resumes at once the run of a SIGKILLed worker on this machine, and frees the concurrency slot it held", async () => {
    const child = startWorkerProcess("killed-run", "acme");
    try {
      await until(async () => (await marks("killed-run")).two === 1, 30_000, "the worker to reach step two");
    } finally {
      await killProcessGroup(child);
    }
    const held = await runFor("killed-run");
    expect(held).toMatchObject({ status: "running" });
    expect(held!.leaseOwner).toMatch(new RegExp(`^${hostname()}:\\d+:[0-9a-f]{8}$`));

    const { inngest, executor } = survivor();
    const restartedAt = Date.now();
    executor.start();
    try {
      // A second run of the same team is queued behind the dead worker's slot.
      await inngest.send({ name: "test/pipeline", id: "queued-run", data: { teamId: "acme" } });
      await until(
        async () => (await runFor("killed-run"))?.status === "completed" && (await runFor("queued-run"))?.status === "completed",
        10_000,
        "both runs to complete",
      );
      expect(Date.now() - restartedAt).toBeLessThan(3_000); // instead of the lease's 30 s
      expect(await marks("killed-run")).toEqual({ one: 1, two: 2, three: 1 });
      expect(await marks("queued-run")).toEqual({ one: 1, two: 1, three: 1 });
    } finally {
      await executor.stop();
    }
  });

  it("keeps a taken-over run's place: it resumes before runs of its group queued after it started", async () => {
    const child = startWorkerProcess("first-in-line", "initech");
    const { executor } = survivor();
    try {
      await until(async () => (await marks("first-in-line")).two === 1, 30_000, "the worker to reach step two");
      // Two more runs of the team wait behind the worker's slot, queued (as the worker's executor
      // would store them) before it dies.
      for (const runId of ["second-in-line", "third-in-line"]) {
        await getPool().query(
          `INSERT INTO "WorkflowRun" ("id", "functionId", "event", "concurrency", "status", "runAfter", "createdAt", "updatedAt")
           VALUES ($1, 'takeover-pipeline', $2::jsonb, $3::jsonb, 'running', timezone('UTC', now()), timezone('UTC', now()), timezone('UTC', now()))`,
          [
            runId,
            JSON.stringify({ name: "test/pipeline", id: runId, data: { teamId: "initech" } }),
            JSON.stringify([{ key: "fn:takeover-pipeline:initech", limit: 1 }]),
          ],
        );
      }
    } finally {
      await killProcessGroup(child);
    }
    executor.start();
    try {
      await until(async () => (await runFor("third-in-line"))?.status === "completed", 15_000, "all three runs to complete");
      const { rows } = await getPool().query<{ runKey: string; step: string }>(
        `SELECT "runKey", "step" FROM takeover_marks WHERE "runKey" LIKE '%-in-line' ORDER BY "seq"`,
      );
      // The interrupted run finishes before the queued ones start (one slot: strictly in turn).
      expect(rows.map((row) => `${row.runKey}:${row.step}`)).toEqual([
        "first-in-line:one",
        "first-in-line:two",
        "first-in-line:two",
        "first-in-line:three",
        "second-in-line:one",
        "second-in-line:two",
        "second-in-line:three",
        "third-in-line:one",
        "third-in-line:two",
        "third-in-line:three",
      ]);
    } finally {
      await executor.stop();
    }
  });

  it("never ends the lease of a live worker: another process, or another executor in this process", async () => {
    const child = startWorkerProcess("live-run", "globex");
    const { executor } = survivor();
    const { executor: sibling } = survivor();
    try {
      await until(async () => (await marks("live-run")).two === 1, 30_000, "the other process to reach step two");
      const owner = (await runFor("live-run"))!.leaseOwner;
      executor.start();
      sibling.start();
      await pause(600); // thirty polls
      expect(await runFor("live-run")).toMatchObject({ status: "running", leaseOwner: owner });
      expect(executor.stats().runsClaimed + sibling.stats().runsClaimed).toBe(0);
    } finally {
      await killProcessGroup(child);
      await Promise.all([executor.stop(), sibling.stop()]);
    }
  });

  it("ends the lease of an earlier incarnation of this process, unless its presence lock is still held", async () => {
    const { executor } = survivor();
    const insertLeasedRun = async (eventId: string, owner: string) =>
      getPool().query(
        `INSERT INTO "WorkflowRun" ("id", "functionId", "event", "concurrency", "status", "leaseOwner", "leaseExpiresAt", "runAfter")
         VALUES ($1, 'takeover-pipeline', $2::jsonb, $3::jsonb, 'running', $4,
                 timezone('UTC', now()) + interval '30 seconds', timezone('UTC', now()) + interval '30 seconds')`,
        [
          eventId,
          JSON.stringify({ name: "test/pipeline", id: eventId, data: { teamId: eventId } }),
          JSON.stringify([{ key: `fn:takeover-pipeline:${eventId}`, limit: 1 }]),
          owner,
        ],
      );
    // Same pid as this process, another tag: the process that had this pid before us.
    await insertLeasedRun("earlier-incarnation", `${hostname()}:${process.pid}:0ld1ncar`);
    // A pid no process has, but whose presence lock a connection still holds — as a live
    // worker in another pid namespace with the same hostname would.
    const lookalike = `${hostname()}:4199999:n31ghb0r`;
    await insertLeasedRun("lookalike", lookalike);
    const neighbour = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await neighbour.connect();
    await neighbour.query(`SELECT pg_advisory_lock(hashtext('chorus.executor.worker'), hashtext($1))`, [lookalike]);

    executor.start();
    try {
      await until(async () => (await runFor("earlier-incarnation"))?.status === "completed", 5_000, "the earlier incarnation's run");
      await pause(300);
      expect(await runFor("lookalike")).toMatchObject({ status: "running", leaseOwner: lookalike });

      await neighbour.end(); // the neighbour's connection closes: it is gone
      await until(async () => (await runFor("lookalike"))?.status === "completed", 5_000, "the lookalike's run once its lock is gone");
    } finally {
      await neighbour.end().catch(() => undefined);
      await executor.stop();
    }
  });
});
