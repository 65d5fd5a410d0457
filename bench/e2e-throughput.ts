/**
 * Benchmark 3 — end-to-end throughput of the real server.
 *
 * Starts Chorus as a user would (`node bin/start.mjs`, embedded Postgres in a temp data dir,
 * offline model with no token delay), makes an API key with the real CLI, then 16 closed-loop
 * clients each `POST /api/v1/tasks` and poll `GET /api/v1/tasks/{id}` until the task is
 * completed, over keep-alive connections opened beforehand. Reports tasks completed per second
 * after a warm-up, task latency, and where the time goes: server and Postgres CPU per task,
 * SQL statements per task by shape (a probe preloaded into the server; Chorus's code is not
 * touched), and with BENCH_PROFILE=1 a CPU profile of the server summarised by area.
 *
 *   bash bench/run.sh e2e
 * Then a breakdown, to see where the time goes: (a) the cost of one poll (`GET` of a completed
 * task, 16 clients, 5 s), (b) a batch of tasks submitted at once and polled only once a
 * second, which isolates the cost of running a task from the cost of watching it.
 *
 *   bash bench/run.sh e2e
 *   env: BENCH_CLIENTS (16), BENCH_WARMUP_SECONDS (20), BENCH_SECONDS (30), BENCH_POLL_MS (25),
 *        BENCH_BATCH (64), BENCH_BREAKDOWN (1), BENCH_PROFILE (0),
 *        BENCH_WORKERS (the server's CHORUS_WORKERS [1]; "auto" = one worker per core),
 *        BENCH_KEEP (keep the data dir and server log)
 */
import { copyFileSync, rmSync } from "node:fs";
import path from "node:path";
import { readProfile, summarise } from "./lib/profile";
import { machine, median, nodeCpuMs, postmasterPid, printJson, printTable, quantile, round, sleep, treeCpuMs } from "./lib/report";
import { ApiClient, ChorusServer, createApiKey, liftRateLimits, freePort, makeDataDir } from "./lib/server";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 25);
const PROFILE = process.env.BENCH_PROFILE === "1";
const BATCH = Number(process.env.BENCH_BATCH ?? 64);
const BREAKDOWN = process.env.BENCH_BREAKDOWN !== "0";
const TARGET = 100;
const WORKERS = process.env.BENCH_WORKERS ?? "1";

const PROMPTS = [
  "Compare heat pumps and gas boilers for a small office",
  "Write a market research brief on electric cargo bikes in Europe",
  "Summarise the trade-offs of server-side rendering versus static generation",
  "Analyse customer churn drivers for a B2B SaaS product",
];

interface TaskView {
  id: string;
  status: string;
}

interface LoopStats {
  completed: number;
  failed: number;
  latencies: number[];
  polls: number;
  errors: Map<string, number>;
  lastCompletedId?: string;
}

/** One client: submit, poll until done, repeat until the deadline (a task started before it is finished). */
async function client(api: ApiClient, index: number, deadline: number, stats: LoopStats) {
  let n = 0;
  while (performance.now() < deadline) {
    const started = performance.now();
    const created = await api.request<TaskView>("POST", "/api/v1/tasks", {
      prompt: `${PROMPTS[(index + n++) % PROMPTS.length]} (#${index}.${n})`,
    });
    if (created.status !== 201) {
      const key = `POST ${created.status}`;
      stats.errors.set(key, (stats.errors.get(key) ?? 0) + 1);
      await sleep(50);
      continue;
    }
    const id = created.body.id;
    for (;;) {
      await sleep(POLL_MS);
      const view = await api.request<TaskView>("GET", `/api/v1/tasks/${id}`);
      stats.polls++;
      if (view.status !== 200) {
        const key = `GET ${view.status}`;
        stats.errors.set(key, (stats.errors.get(key) ?? 0) + 1);
        continue;
      }
      if (view.body.status === "completed") {
        stats.completed++;
        stats.latencies.push(performance.now() - started);
        stats.lastCompletedId = id;
        break;
      }
      if (["failed", "cancelled"].includes(view.body.status)) {
        stats.failed++;
        break;
      }
    }
  }
}

async function closedLoop(api: ApiClient, seconds: number): Promise<LoopStats & { seconds: number }> {
  const stats: LoopStats = { completed: 0, failed: 0, latencies: [], polls: 0, errors: new Map() };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(api, index, deadline, stats)));
  return { ...stats, seconds: (performance.now() - started) / 1000 };
}

/** Server-side cost of a window: wall time, server and Postgres CPU, SQL statements. */
async function measureServer<T>(server: ChorusServer, dataDir: string, work: () => Promise<T>, label = "window") {
  const pgPid = postmasterPid(dataDir);
  const serverPid = server.pid!;
  await server.probeWindow();
  const pg0 = pgPid ? treeCpuMs(pgPid) : 0;
  const server0 = treeCpuMs(serverPid) - pg0;
  const client0 = nodeCpuMs();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const clientCpuMs = nodeCpuMs() - client0;
  const pg1 = pgPid ? treeCpuMs(pgPid) : NaN;
  // The server's process tree contains the Postgres cluster it started; count that separately.
  const serverCpuMs = treeCpuMs(serverPid) - pg1 - server0;
  const probe = await server.probeWindow();
  let profile: ReturnType<typeof summarise> | undefined;
  if (PROFILE) {
    try {
      const file = `${server.options.probeFile}.cpuprofile`;
      profile = summarise(readProfile(file), 20);
      // With BENCH_KEEP each window's raw profile stays beside the server log, for a closer look.
      if (process.env.BENCH_KEEP) copyFileSync(file, path.join(dataDir, `profile-${label}.cpuprofile`));
    } catch (error) {
      console.error("could not read the server's CPU profile:", error);
    }
  }
  return { result, seconds, serverCpuMs, postgresCpuMs: pg1 - pg0, clientCpuMs, probe, profile };
}

/** (a) the cost of one poll: GET of a completed task, CLIENTS at a time, for `seconds`. */
async function pollCost(api: ApiClient, taskId: string, seconds: number) {
  let requests = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline) {
        await api.request("GET", `/api/v1/tasks/${taskId}`);
        requests++;
      }
    }),
  );
  return requests;
}

/** (b) BATCH tasks submitted at once (CLIENTS POSTs in flight), each polled once a second until done. */
async function batchRun(api: ApiClient) {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < BATCH) {
        const index = next++;
        const created = await api.request<TaskView>("POST", "/api/v1/tasks", {
          prompt: `${PROMPTS[index % PROMPTS.length]} (batch ${index})`,
        });
        if (created.status === 201) ids.push(created.body.id);
      }
    }),
  );
  const pending = new Set(ids);
  let polls = 0;
  let failed = 0;
  while (pending.size > 0) {
    await sleep(1000);
    await Promise.all(
      [...pending].map(async (id) => {
        const view = await api.request<TaskView>("GET", `/api/v1/tasks/${id}`);
        polls++;
        if (view.status === 200 && ["completed", "failed", "cancelled"].includes(view.body.status)) {
          if (view.body.status !== "completed") failed++;
          pending.delete(id);
        }
      }),
    );
  }
  return { submitted: ids.length, failed, polls };
}

function printProfile(title: string, profile: ReturnType<typeof summarise>, tasks: number) {
  printTable(
    `${title}: self time by area (${round(profile.totalMs / Math.max(1, tasks), 1)} ms sampled per task; profiling itself adds some)`,
    ["area", "ms per task", "share"],
    profile.byArea.map((row) => [row.area, round(row.ms / Math.max(1, tasks), 2), `${(row.share * 100).toFixed(1)}%`]),
  );
  printTable(
    `${title}: inclusive time of the heaviest functions`,
    ["function", "area", "share"],
    profile.inclusive.slice(0, 40).map((row) => [row.name.slice(0, 80), row.area, `${(row.share * 100).toFixed(1)}%`]),
  );
}

/** "1" for one process; "N workers + primary" with CHORUS_WORKERS. */
function serverShape(processes: number): string {
  return processes > 1 ? `${processes - 1} workers + primary` : String(processes);
}

async function main() {
  const dataDir = await makeDataDir("chorus-bench-e2e-");
  const logFile = path.join(dataDir, "server.log");
  const probeFile = path.join(dataDir, "probe.json");
  const server = new ChorusServer({
    dataDir,
    port: await freePort(),
    offlineTokenDelayMs: 0,
    probeFile,
    profile: PROFILE,
    logFile,
    env: { CHORUS_WORKERS: WORKERS },
  });
  let api: ApiClient | undefined;
  try {
    console.error(`e2e-throughput: starting Chorus (builds Next.js first if the build is stale; log: ${logFile})…`);
    const bootStarted = performance.now();
    await server.start();
    const bootSeconds = (performance.now() - bootStarted) / 1000;
    const key = createApiKey(dataDir);
    liftRateLimits(dataDir);
    api = new ApiClient(server.baseUrl, key, CLIENTS + 4);

    // Open the connections before anything is measured.
    await Promise.all(Array.from({ length: CLIENTS }, () => api!.request("GET", "/api/v1/tasks?limit=1")));

    console.error(`e2e-throughput: warming up (${WARMUP_SECONDS} s, ${CLIENTS} clients)…`);
    const warm = await closedLoop(api, WARMUP_SECONDS);
    await sleep(1000);

    console.error(`e2e-throughput: measuring (${SECONDS} s, ${CLIENTS} clients, poll every ${POLL_MS} ms)…`);
    const main = await measureServer(server, dataDir, () => closedLoop(api!, SECONDS), "closed-loop");
    const { result, probe } = main;
    const serverCpu = main.serverCpuMs;
    const pgCpu = main.postgresCpuMs;
    const clientCpu = main.clientCpuMs;
    const profileSummary = main.profile;

    const rate = result.completed / result.seconds;
    const perTask = (value: number) => round(value / Math.max(1, result.completed), 2);
    printTable(
      `End-to-end: ${CLIENTS} clients, POST /api/v1/tasks then poll GET /api/v1/tasks/{id} every ${POLL_MS} ms (offline model, no token delay)`,
      ["metric", "value"],
      [
        ["server processes (CHORUS_WORKERS)", `${serverShape(server.serverProcesses().length)} (${WORKERS})`],
        ["tasks completed / s", round(rate, 1)],
        ["target (≥ 100 / s)", rate >= TARGET ? "met" : "NOT met"],
        ["tasks completed (measured window)", result.completed],
        ["window (s)", round(result.seconds, 1)],
        ["tasks failed", result.failed],
        ["task latency p50 (ms)", round(median(result.latencies), 0)],
        ["task latency p90 (ms)", round(quantile(result.latencies, 0.9), 0)],
        ["polls per task", perTask(result.polls)],
        ["server CPU per task (ms)", perTask(serverCpu)],
        ["Postgres CPU per task (ms)", perTask(pgCpu)],
        ["load generator CPU per task (ms)", perTask(clientCpu)],
        ["SQL statements per task (server)", probe ? perTask(probe.statements) : null],
        ["HTTP errors", [...result.errors.entries()].map(([k, v]) => `${k}×${v}`).join(", ") || "none"],
        ["warm-up: tasks completed", warm.completed],
        ["server start (incl. any build) (s)", round(bootSeconds, 1)],
      ],
    );
    if (probe && result.completed > 0) {
      printTable(
        "SQL statements per completed task, by statement shape (top 15)",
        ["per task", "statement"],
        probe.shapes.slice(0, 15).map(([shape, count]) => [round(count / result.completed, 2), shape.slice(0, 110)]),
      );
    }
    let breakdown: Record<string, unknown> | null = null;
    if (BREAKDOWN) {
      console.error("e2e-throughput: breakdown — cost of a poll, then a batch with light polling…");
      const someTask = result.lastCompletedId;
      const poll = someTask ? await measureServer(server, dataDir, () => pollCost(api!, someTask, 5), "poll") : undefined;
      await sleep(500);
      const batch = await measureServer(server, dataDir, () => batchRun(api!), "batch");
      const perPoll = (value: number) => (poll ? round(value / poll.result, 3) : null);
      // Polling's share of the batch, from the measured per-poll cost; the rest is running the task.
      const batchTasks = Math.max(1, batch.result.submitted);
      const pollServerMs = poll ? (poll.serverCpuMs / poll.result) * batch.result.polls : 0;
      const pollPgMs = poll ? (poll.postgresCpuMs / poll.result) * batch.result.polls : 0;
      const pollSql = poll?.probe ? (poll.probe.statements / poll.result) * batch.result.polls : 0;
      printTable(
        "Breakdown: what a poll costs, and what running a task costs without the polling",
        ["measure", "server CPU (ms)", "Postgres CPU (ms)", "SQL statements", "rate"],
        [
          [
            `one GET /api/v1/tasks/{id} (${CLIENTS} clients, ${poll ? round(poll.seconds, 1) : "–"} s)`,
            poll ? perPoll(poll.serverCpuMs) : null,
            poll ? perPoll(poll.postgresCpuMs) : null,
            poll?.probe ? perPoll(poll.probe.statements) : null,
            poll ? `${round(poll.result / poll.seconds, 0)} req/s` : "–",
          ],
          [
            `one task of a batch of ${batch.result.submitted} (polled 1/s; ${round(batch.result.polls / batchTasks, 1)} polls/task)`,
            round(batch.serverCpuMs / batchTasks, 2),
            round(batch.postgresCpuMs / batchTasks, 2),
            batch.probe ? round(batch.probe.statements / batchTasks, 1) : null,
            `${round(batch.result.submitted / batch.seconds, 1)} tasks/s (drained in ${round(batch.seconds, 1)} s)`,
          ],
          [
            "  of which running it (batch minus its polls)",
            round((batch.serverCpuMs - pollServerMs) / batchTasks, 2),
            round((batch.postgresCpuMs - pollPgMs) / batchTasks, 2),
            batch.probe ? round((batch.probe.statements - pollSql) / batchTasks, 1) : null,
            "–",
          ],
        ],
      );
      if (batch.profile) printProfile(`Server CPU profile of the batch`, batch.profile, batchTasks);
      if (batch.probe) {
        printTable(
          "Batch: SQL statements per task by shape (top 12; includes its ~1/s polls)",
          ["per task", "statement"],
          batch.probe.shapes.slice(0, 12).map(([shape, count]) => [round(count / batchTasks, 2), shape.slice(0, 110)]),
        );
      }
      breakdown = {
        poll: poll
          ? {
              requestsPerSecond: round(poll.result / poll.seconds, 1),
              serverCpuMs: perPoll(poll.serverCpuMs),
              postgresCpuMs: perPoll(poll.postgresCpuMs),
              sqlStatements: poll.probe ? perPoll(poll.probe.statements) : null,
            }
          : null,
        batch: {
          tasks: batch.result.submitted,
          failed: batch.result.failed,
          tasksPerSecond: round(batch.result.submitted / batch.seconds, 2),
          serverCpuMsPerTask: round(batch.serverCpuMs / batchTasks, 2),
          postgresCpuMsPerTask: round(batch.postgresCpuMs / batchTasks, 2),
          sqlPerTask: batch.probe ? round(batch.probe.statements / batchTasks, 1) : null,
          runningOnly: {
            serverCpuMs: round((batch.serverCpuMs - pollServerMs) / batchTasks, 2),
            postgresCpuMs: round((batch.postgresCpuMs - pollPgMs) / batchTasks, 2),
            sqlStatements: batch.probe ? round((batch.probe.statements - pollSql) / batchTasks, 1) : null,
          },
        },
      };
    }

    if (profileSummary) printProfile("Server CPU profile of the measured window", profileSummary, result.completed);
    printJson({
      benchmark: "e2e-throughput",
      machine: machine(),
      params: {
        clients: CLIENTS,
        warmupSeconds: WARMUP_SECONDS,
        seconds: SECONDS,
        pollMs: POLL_MS,
        batch: BATCH,
        profiled: PROFILE,
        workers: WORKERS,
      },
      tasksPerSecond: round(rate, 2),
      target: { min: TARGET, met: rate >= TARGET },
      completed: result.completed,
      failed: result.failed,
      latencyMs: { p50: round(median(result.latencies), 1), p90: round(quantile(result.latencies, 0.9), 1) },
      perTask: {
        polls: perTask(result.polls),
        serverCpuMs: perTask(serverCpu),
        postgresCpuMs: perTask(pgCpu),
        clientCpuMs: perTask(clientCpu),
        sqlStatements: probe ? perTask(probe.statements) : null,
      },
      errors: Object.fromEntries(result.errors),
      breakdown,
      profileTopAreas: profileSummary?.byArea.slice(0, 8).map((row) => ({ area: row.area, share: round(row.share, 3) })) ?? null,
    });
  } finally {
    api?.close();
    await server.stop().catch(() => undefined);
    if (process.env.BENCH_KEEP) console.error(`kept ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error("e2e-throughput failed:", error);
    process.exit(1);
  },
);
