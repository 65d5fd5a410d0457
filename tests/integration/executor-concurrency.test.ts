import { Inngest } from "inngest";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { getPool } from "@/server/db/client";
import { pause, quiet, until } from "../support/executor-helpers";
import { createEmbeddedExecutor, embeddedClientOptions, type EmbeddedExecutorOptions } from "@/inngest/executor";

/**
 * Inngest's `concurrency` option in the embedded executor: at most `limit` steps of one key
 * execute at once — across functions for scope `env`, across executors sharing the database —
 * while other keys run freely and sleeping runs hold no slot.
 */

/** Records, per key, how many step bodies run at the same moment and when each started. */
function overlapMeter() {
  const active = new Map<string, number>();
  const peak = new Map<string, number>();
  const starts: { key: string; label: string; at: number }[] = [];
  return {
    async work(key: string, label: string, ms: number) {
      const now = (active.get(key) ?? 0) + 1;
      active.set(key, now);
      peak.set(key, Math.max(peak.get(key) ?? 0, now));
      starts.push({ key, label, at: performance.now() });
      await pause(ms);
      active.set(key, active.get(key)! - 1);
      return label;
    },
    peak: (key: string) => peak.get(key) ?? 0,
    starts: (key: string) => starts.filter((start) => start.key === key),
  };
}

async function completedRuns(functionIds: string[]) {
  const { rows } = await getPool().query<{ done: number }>(
    `SELECT count(*)::int AS "done" FROM "WorkflowRun" WHERE "functionId" = ANY($1::text[]) AND "status" = 'completed'`,
    [functionIds],
  );
  return rows[0]!.done;
}

function executorFor(inngest: Inngest.Any, functions: EmbeddedExecutorOptions["functions"], extra: Partial<EmbeddedExecutorOptions> = {}) {
  return createEmbeddedExecutor({ pool: getPool(), client: inngest, functions, pollIntervalMs: 20, ...extra });
}

describe("embedded executor concurrency limits", () => {
  it("runs at most `limit` steps of one key at once, across functions sharing an env-scoped key, without blocking other keys", async () => {
    const inngest = new Inngest({ id: "teams", ...embeddedClientOptions, logger: quiet });
    const meter = overlapMeter();
    const agent = (kind: string) =>
      inngest.createFunction(
        { id: `agent-${kind}`, triggers: [{ event: `test/${kind}` }], concurrency: [{ scope: "env", key: "event.data.teamId", limit: 2 }] },
        async ({ event, step }) => {
          const { teamId, n } = event.data as { teamId: string; n: number };
          return step.run("work", () => meter.work(teamId, `${kind}-${n}`, 150));
        },
      );
    const [research, analysis] = [agent("research"), agent("analysis")];
    const executor = executorFor(inngest, [research, analysis]);
    executor.start();
    try {
      await inngest.send([
        ...Array.from({ length: 6 }, (_, n) => ({ name: n % 2 ? "test/research" : "test/analysis", data: { teamId: "acme", n } })),
        { name: "test/research", data: { teamId: "globex", n: 0 } },
      ]);
      await until(async () => (await completedRuns(["teams-agent-research", "teams-agent-analysis"])) === 7, 10_000, "all runs");

      expect(meter.peak("acme")).toBe(2);
      expect(meter.starts("acme")).toHaveLength(6);
      // Six 150 ms steps, two at a time: three waves. The other team's run did not queue behind them.
      const acme = meter.starts("acme").map((start) => start.at);
      expect(Math.max(...acme) - Math.min(...acme)).toBeGreaterThanOrEqual(280);
      // It started with the first wave, before a slot of acme's freed for its second.
      const secondWave = [...acme].sort((a, b) => a - b)[2]!;
      expect(meter.starts("globex")[0]!.at).toBeLessThan(secondWave);
    } finally {
      await executor.stop();
    }
  });

  it("holds the limit across three executors sharing the database", async () => {
    const inngest = new Inngest({ id: "shared-limit", ...embeddedClientOptions, logger: quiet });
    const meter = overlapMeter();
    const job = inngest.createFunction(
      { id: "job", triggers: [{ event: "test/job" }], concurrency: { key: "event.data.teamId", limit: 2 } },
      async ({ event, step }) => {
        await step.run("first", () => meter.work("acme", `${event.data.n}:first`, 40));
        return step.run("second", () => meter.work("acme", `${event.data.n}:second`, 40));
      },
    );
    const pools = [
      new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 }),
      new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 }),
    ];
    // Each executor drives one run at a time, so reaching 2 at once takes two of them; together
    // they could drive 3, and only the database's count holds them to 2.
    const executors = [getPool(), ...pools].map((pool, index) =>
      executorFor(inngest, [job], { workerId: `worker-${index}`, concurrency: 1, pool }),
    );
    for (const executor of executors.toReversed()) executor.start(); // the first starts last: `inngest.send` lands on it
    try {
      await inngest.send(Array.from({ length: 12 }, (_, n) => ({ name: "test/job", data: { teamId: "acme", n } })));
      await until(async () => (await completedRuns(["shared-limit-job"])) === 12, 15_000, "all runs");
      expect(meter.peak("acme")).toBe(2);
      expect(meter.starts("acme")).toHaveLength(24);
      expect(executors.filter((executor) => executor.stats().runsClaimed > 0).length).toBeGreaterThan(1);
    } finally {
      await Promise.all(executors.map((executor) => executor.stop()));
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it("gives each parallel step of a limited run a slot of its own, and frees a sleeping run's slot", async () => {
    const inngest = new Inngest({ id: "slots", ...embeddedClientOptions, logger: quiet });
    const meter = overlapMeter();
    const order: string[] = [];
    const fanOut = inngest.createFunction(
      { id: "fan-out", triggers: [{ event: "test/fan-out" }], concurrency: { limit: 2 } },
      async ({ step }) => {
        const parts = await Promise.all(["a", "b", "c"].map((name) => step.run(`part ${name}`, () => meter.work("fan", name, 120))));
        return step.run("join", () => parts.join(""));
      },
    );
    const napper = inngest.createFunction(
      { id: "napper", triggers: [{ event: "test/nap" }], concurrency: { key: "event.data.teamId", limit: 1 } },
      async ({ event, step }) => {
        const who = event.data.who as string;
        await step.run("before", () => order.push(`${who}:before`));
        if (who === "sleeper") await step.sleep("nap", "600ms");
        await step.run("after", () => order.push(`${who}:after`));
      },
    );
    const executor = executorFor(inngest, [fanOut, napper]);
    executor.start();
    try {
      await inngest.send({ name: "test/fan-out", data: {} });
      await inngest.send({ name: "test/nap", data: { teamId: "acme", who: "sleeper" } });
      await until(async () => order.includes("sleeper:before"), 5_000, "the sleeper to start");
      await inngest.send({ name: "test/nap", data: { teamId: "acme", who: "second" } });
      await until(async () => (await completedRuns(["slots-fan-out", "slots-napper"])) === 3, 10_000, "all runs");

      expect(meter.peak("fan")).toBe(2);
      expect(meter.starts("fan")).toHaveLength(3);
      const { rows } = await getPool().query(`SELECT "output" FROM "WorkflowRun" WHERE "functionId" = 'slots-fan-out'`);
      expect(rows[0].output).toBe("abc");
      // The second run of the key ran to completion while the first slept.
      expect(order).toEqual(["sleeper:before", "second:before", "second:after", "sleeper:after"]);
    } finally {
      await executor.stop();
    }
  });
});
