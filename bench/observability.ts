/**
 * Benchmark — what metrics and tracing cost end to end (#22: "< 5% of end-to-end throughput,
 * measured with them on and off in one run").
 *
 * Starts three real Chorus servers side by side (`node bin/start.mjs`, each with its own
 * embedded Postgres, offline model with no token delay), identical but for observability:
 *   (a) CHORUS_METRICS=off, no tracing — the baseline;
 *   (b) metrics on (the default), no tracing;
 *   (c) metrics on and tracing on, every trace sampled, exporting over OTLP/HTTP to a local sink
 *       that accepts and counts the spans (bench/lib/otlp-sink.ts).
 * Then, after a warm-up of each, measures tasks completed per second with the e2e benchmark's
 * load (CLIENTS closed-loop clients: POST /api/v1/tasks, poll GET /api/v1/tasks/{id} every
 * POLL_MS until completed) on one server at a time, in interleaved rounds (a b c, b c a, c a b,
 * …) so drift in the machine's load falls on all three alike. Reports the median rate of each,
 * its ratio to (a) (target ≥ 0.95), server CPU per task and spans exported per task.
 *
 *   bash bench/run.sh observability
 *   env: BENCH_CLIENTS (16), BENCH_WARMUP_SECONDS (15), BENCH_SECONDS (20 per round),
 *        BENCH_ROUNDS (3), BENCH_POLL_MS (25), BENCH_KEEP (keep the data dirs and logs),
 *        BENCH_SAMPLED (e.g. 0.1: a fourth server, tracing with that share of traces kept)
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { startOtlpSink } from "./lib/otlp-sink";
import { machine, median, postmasterPid, printJson, printTable, round, sleep, treeCpuMs } from "./lib/report";
import { ApiClient, ChorusServer, createApiKey, freePort, liftRateLimits, makeDataDir } from "./lib/server";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 15);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 25);
const TARGET_RATIO = 0.95;

const PROMPTS = [
  "Compare heat pumps and gas boilers for a small office",
  "Write a market research brief on electric cargo bikes in Europe",
  "Summarise the trade-offs of server-side rendering versus static generation",
  "Analyse customer churn drivers for a B2B SaaS product",
];

interface Setup {
  name: string;
  label: string;
  env: Record<string, string>;
  server?: ChorusServer;
  dataDir?: string;
  api?: ApiClient;
  rounds: { tasksPerSecond: number; serverCpuMsPerTask: number; completed: number; failed: number; spans: number }[];
}

interface TaskView {
  id: string;
  status: string;
}

/** CLIENTS clients, each submitting a task and polling it until it ends, for `seconds`. */
async function closedLoop(api: ApiClient, seconds: number) {
  const stats = { completed: 0, failed: 0, errors: 0 };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, index) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const created = await api.request<TaskView>("POST", "/api/v1/tasks", {
          prompt: `${PROMPTS[(index + n) % PROMPTS.length]} (#${index}.${n})`,
        });
        if (created.status !== 201) {
          stats.errors++;
          await sleep(50);
          continue;
        }
        for (;;) {
          await sleep(POLL_MS);
          const view = await api.request<TaskView>("GET", `/api/v1/tasks/${created.body.id}`);
          if (view.status !== 200) {
            stats.errors++;
            continue;
          }
          if (view.body.status === "completed") {
            stats.completed++;
            break;
          }
          if (["failed", "cancelled", "budget_exceeded"].includes(view.body.status)) {
            stats.failed++;
            break;
          }
        }
      }
    }),
  );
  return { ...stats, seconds: (performance.now() - started) / 1000 };
}

/** The server's own CPU (its process tree without the Postgres it started), in ms. */
function serverCpuMs(setup: Setup): number {
  const pg = postmasterPid(setup.dataDir!);
  return treeCpuMs(setup.server!.pid!) - (pg ? treeCpuMs(pg) : 0);
}

async function main() {
  const sink = await startOtlpSink();
  const setups: Setup[] = [
    { name: "a", label: "(a) metrics off, tracing off", env: { CHORUS_METRICS: "off" }, rounds: [] },
    { name: "b", label: "(b) metrics on", env: {}, rounds: [] },
    {
      name: "c",
      label: "(c) metrics on + tracing on (OTLP/HTTP, all sampled)",
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url },
      rounds: [],
    },
  ];
  // BENCH_SAMPLED=0.1: also (d), tracing with that share of traces kept, as a busy deployment would run it.
  if (process.env.BENCH_SAMPLED) {
    setups.push({
      name: "d",
      label: `(d) metrics on + tracing on, ${Number(process.env.BENCH_SAMPLED) * 100}% of traces kept`,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, CHORUS_TRACE_SAMPLE_RATIO: process.env.BENCH_SAMPLED },
      rounds: [],
    });
  }
  try {
    // One at a time: the first start builds Next.js if the build is stale, and the others reuse it.
    for (const setup of setups) {
      setup.dataDir = await makeDataDir(`chorus-bench-obs-${setup.name}-`);
      const logFile = path.join(setup.dataDir, "server.log");
      console.error(`observability: starting ${setup.label} (log: ${logFile})…`);
      setup.server = new ChorusServer({ dataDir: setup.dataDir, port: await freePort(), offlineTokenDelayMs: 0, logFile, env: setup.env });
      await setup.server.start();
      const key = createApiKey(setup.dataDir);
      liftRateLimits(setup.dataDir);
      setup.api = new ApiClient(setup.server.baseUrl, key, CLIENTS + 4);
      // Open the connections before anything is measured.
      await Promise.all(Array.from({ length: CLIENTS }, () => setup.api!.request("GET", "/api/v1/tasks?limit=1")));
    }
    for (const setup of setups) {
      console.error(`observability: warming up ${setup.label} (${WARMUP_SECONDS} s)…`);
      await closedLoop(setup.api!, WARMUP_SECONDS);
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round: a b c, b c a, c a b, …
      const order = setups.map((_, index) => setups[(index + round) % setups.length]!);
      for (const setup of order) {
        await sleep(1000);
        const spans0 = sink.spans;
        const cpu0 = serverCpuMs(setup);
        const result = await closedLoop(setup.api!, SECONDS);
        // The last batch of spans leaves within the exporter's 2 s delay.
        if (setup.env.OTEL_EXPORTER_OTLP_ENDPOINT) await sleep(2500);
        const cpu = serverCpuMs(setup) - cpu0;
        const tasks = Math.max(1, result.completed);
        setup.rounds.push({
          tasksPerSecond: result.completed / result.seconds,
          serverCpuMsPerTask: cpu / tasks,
          completed: result.completed,
          failed: result.failed + result.errors,
          spans: sink.spans - spans0,
        });
        console.error(
          `observability: round ${round + 1}/${ROUNDS} ${setup.label}: ${round1(result.completed / result.seconds)} tasks/s, ${round1(cpu / tasks)} ms CPU/task`,
        );
      }
    }

    const rate = (setup: Setup) => median(setup.rounds.map((r) => r.tasksPerSecond));
    const cpu = (setup: Setup) => median(setup.rounds.map((r) => r.serverCpuMsPerTask));
    const baseline = setups[0]!;
    const rows = setups.map((setup) => {
      const ratio = rate(setup) / rate(baseline);
      const completed = setup.rounds.reduce((sum, r) => sum + r.completed, 0);
      const spans = setup.rounds.reduce((sum, r) => sum + r.spans, 0);
      return { setup, ratio, completed, spans };
    });
    printTable(
      `Metrics and tracing cost end to end: ${CLIENTS} clients, ${ROUNDS} interleaved rounds of ${SECONDS} s each (median of rounds)`,
      ["setup", "tasks/s", "per round", "ratio to (a)", "target ≥ 0.95", "server CPU/task (ms)", "spans/task"],
      rows.map(({ setup, ratio, completed, spans }) => [
        setup.label,
        round(rate(setup), 1),
        setup.rounds.map((r) => round(r.tasksPerSecond, 1)).join(" / "),
        round(ratio, 3),
        setup === baseline ? "–" : ratio >= TARGET_RATIO ? "met" : "NOT met",
        round(cpu(setup), 1),
        setup.env.OTEL_EXPORTER_OTLP_ENDPOINT ? round(spans / Math.max(1, completed), 1) : 0,
      ]),
    );
    printJson({
      benchmark: "observability-cost",
      machine: machine(),
      params: { clients: CLIENTS, warmupSeconds: WARMUP_SECONDS, seconds: SECONDS, rounds: ROUNDS, pollMs: POLL_MS },
      setups: rows.map(({ setup, ratio, completed, spans }) => ({
        name: setup.name,
        label: setup.label,
        tasksPerSecond: round(rate(setup), 2),
        ratioToBaseline: round(ratio, 3),
        serverCpuMsPerTask: round(cpu(setup), 2),
        completed,
        failed: setup.rounds.reduce((sum, r) => sum + r.failed, 0),
        spansPerTask: round(spans / Math.max(1, completed), 1),
        rounds: setup.rounds.map((r) => ({
          ...r,
          tasksPerSecond: round(r.tasksPerSecond, 2),
          serverCpuMsPerTask: round(r.serverCpuMsPerTask, 2),
        })),
      })),
      target: { minRatio: TARGET_RATIO, met: rows.slice(1).every(({ ratio }) => ratio >= TARGET_RATIO) },
      sink: { spans: sink.spans, exports: sink.exports, bytes: sink.bytes, refused: sink.refused },
    });
  } finally {
    for (const setup of setups) {
      setup.api?.close();
      await setup.server?.stop().catch(() => undefined);
      if (setup.dataDir && !process.env.BENCH_KEEP) rmSync(setup.dataDir, { recursive: true, force: true });
    }
    if (process.env.BENCH_KEEP) console.error(`kept ${setups.map((setup) => setup.dataDir).join(", ")}`);
    await sink.close();
  }
}

function round1(value: number) {
  return round(value, 1);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error("observability failed:", error);
    process.exit(1);
  },
);
