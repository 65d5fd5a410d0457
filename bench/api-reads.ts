/**
 * Benchmark — the API's reads against a bare Next.js route, in the same run.
 *
 * Starts Chorus as a user would (`node bin/start.mjs`, embedded Postgres, offline model), makes a
 * `user` API key with the real CLI, lifts the bench team's rate limits out of reach (the limiter
 * still runs on every request: its cost is in these numbers), and runs 25 tasks to completion.
 * Beside it runs the baseline: a Next.js app whose one route handler answers static JSON
 * (bench/bare-next, built with Chorus's own Next.js and started with `next start`).
 *
 * Then autocannon, on connections opened by its own warm-up, drives for each of 8 and 64
 * connections: the bare route, `GET /api/v1/tasks?limit=20` and `GET /api/v1/tasks/{id}` (a
 * completed task) with the API key. Reported: requests/s and p99 latency, and each read's ratio
 * to the bare route. Targets (issue #17): ≥ 0.8× the bare route's requests/s, p99 ≤ 1.25×.
 *
 *   bash bench/run.sh reads
 *   env: BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (3), BENCH_KEEP (keep the data dir and logs)
 */
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import autocannon from "autocannon";
import { startBareNext } from "./lib/bare-next";
import { machine, printJson, printTable, round, sleep } from "./lib/report";
import { ApiClient, ChorusServer, createApiKey, freePort, liftRateLimits, makeDataDir } from "./lib/server";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const CONNECTIONS = [8, 64];
const TASKS = 25;
const TARGET = { throughput: 0.8, p99: 1.25 };

interface Measured {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function drive(url: string, connections: number, headers: Record<string, string>): Promise<Measured> {
  const run = (duration: number) => autocannon({ url, connections, duration, headers, pipelining: 1 });
  await run(WARMUP_SECONDS);
  const result = await run(SECONDS);
  return { rps: result.requests.average, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors + result.timeouts };
}

async function main() {
  const dataDir = await makeDataDir("chorus-bench-reads-");
  const logFile = path.join(dataDir, "server.log");
  const server = new ChorusServer({ dataDir, port: await freePort(), offlineTokenDelayMs: 0, logFile });
  let bare: ChildProcess | undefined;
  try {
    await server.start();
    const key = createApiKey(dataDir, "user");
    liftRateLimits(dataDir);

    const client = new ApiClient(server.baseUrl, key, 8);
    const ids: string[] = [];
    for (let index = 0; index < TASKS; index++) {
      const created = await client.request<{ id: string }>("POST", "/api/v1/tasks", {
        prompt: `Summarise the history of bridge number ${index}`,
      });
      if (created.status !== 201) throw new Error(`creating a task answered ${created.status}`);
      ids.push(created.body.id);
    }
    for (const id of ids) {
      for (;;) {
        const task = await client.request<{ status: string }>("GET", `/api/v1/tasks/${id}`);
        if (task.body.status === "completed") break;
        if (task.body.status === "failed" || task.body.status === "cancelled") throw new Error(`task ${id} ${task.body.status}`);
        await sleep(50);
      }
    }
    client.close();

    const barePort = await freePort();
    bare = await startBareNext(barePort);
    const auth = { authorization: `Bearer ${key}` };
    const targets = [
      { name: "bare Next route (static JSON)", url: `http://127.0.0.1:${barePort}/api/static`, headers: {} },
      { name: "GET /api/v1/tasks?limit=20", url: `${server.baseUrl}/api/v1/tasks?limit=20`, headers: auth },
      { name: "GET /api/v1/tasks/{id}", url: `${server.baseUrl}/api/v1/tasks/${ids[0]}`, headers: auth },
    ];
    const rows: (string | number | null)[][] = [];
    for (const connections of CONNECTIONS) {
      let baseline: Measured | undefined;
      for (const target of targets) {
        const measured = await drive(target.url, connections, target.headers);
        baseline ??= measured;
        const throughput = measured.rps / baseline.rps;
        const p99 = measured.p99 / baseline.p99;
        rows.push([
          target.name,
          connections,
          round(measured.rps, 0),
          round(measured.p99, 1),
          round(throughput),
          round(p99),
          measured.non2xx + measured.errors,
        ]);
        printJson({
          benchmark: "api-reads",
          target: target.name,
          connections,
          requestsPerSecond: round(measured.rps, 1),
          p99Ms: measured.p99,
          throughputRatio: round(throughput, 3),
          p99Ratio: round(p99, 3),
          non2xxOrErrors: measured.non2xx + measured.errors,
          meetsTarget: target === targets[0] ? null : throughput >= TARGET.throughput && p99 <= TARGET.p99,
          machine: machine(),
        });
      }
    }
    printTable(
      `API reads against a bare Next.js route (same run; ${SECONDS} s each after ${WARMUP_SECONDS} s warm-up; target ≥ ${TARGET.throughput}× requests/s, p99 ≤ ${TARGET.p99}×)`,
      ["target", "connections", "requests/s", "p99 ms", "× bare req/s", "× bare p99", "non-2xx"],
      rows,
    );
  } finally {
    bare?.kill("SIGTERM");
    await server.stop();
    if (!process.env.BENCH_KEEP) rmSync(dataDir, { recursive: true, force: true });
    else console.log(`kept ${dataDir}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
