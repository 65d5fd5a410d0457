/**
 * Benchmark — live event streams at scale (issue #21 §6), against two baselines in the same run.
 *
 * Three servers, each its own process, each driven the same way: TASKS running tasks, each
 * producing RATE agent.delta events a second, each watched by WATCHERS SSE streams, measured on
 * connections already open after a warm-up:
 *   raw node:http   bench/lib/raw-sse-server.mjs: one timer per task writes the same bytes to each
 *                   response; no database, no auth — the floor.
 *   bare Next.js    bench/bare-next's /api/stream/[task] route handler, fanned out the same way.
 *   Chorus          bench/lib/chorus-stream-server.ts: the real front door (API key, rate limit,
 *                   GET /api/v1/tasks/{id}/events), events appended to the Postgres log in the
 *                   server process (as the embedded executor's steps do) and fanned out by the
 *                   task's hub. Measured twice: generating with no watcher (the appends' own cost)
 *                   and with all watchers; the difference is what streaming costs.
 * Reported per server: delivered % (events received with a commit time inside the window ÷ events
 * committed in it × watchers), p50/p99 latency from the event's commit (its createdAt in the log;
 * for the baselines, when it was made) to its arrival at the client, server CPU (% of one core; Postgres separately), and RSS growth.
 * Then on Chorus: IDLE_STREAMS idle streams held open (RSS per stream, CPU while idle), and a real
 * task's duration (offline model, approval to completion) with WATCHERS×TASKS watchers on it vs
 * none — target ≤ 1.2×.
 *
 *   bash bench/run.sh streams
 *   env: BENCH_SECONDS (15), BENCH_WARMUP_SECONDS (5), BENCH_STREAM_TASKS (50), BENCH_STREAM_WATCHERS (20),
 *        BENCH_STREAM_RATE (20), BENCH_IDLE_STREAMS (10000), BENCH_SKIP_NEXT (1: no bare Next.js baseline)
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { startBenchPostgres } from "./lib/postgres";
import { BENCH_ROOT, REPO_ROOT } from "./lib/paths";
import { machine, printJson, printTable, quantile, round, sleep, treeCpuMs } from "./lib/report";
import { freePort } from "./lib/server";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const TASKS = Number(process.env.BENCH_STREAM_TASKS ?? 50);
const WATCHERS = Number(process.env.BENCH_STREAM_WATCHERS ?? 20);
const RATE = Number(process.env.BENCH_STREAM_RATE ?? 20);
const IDLE_STREAMS = Number(process.env.BENCH_IDLE_STREAMS ?? 10_000);
const TARGET_DURATION_RATIO = 1.2;

const NEXT_BIN = path.join(REPO_ROOT, "node_modules", "next", "dist", "bin", "next");
const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
const BARE_DIR = path.join(BENCH_ROOT, "bare-next");

/** Resident memory of a process and its descendants, in MiB. */
function treeRssMiB(rootPid: number): number {
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* exited */
    }
  }
  let kib = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      /* exited */
    }
    for (const [child, parent] of parents) if (parent === pid) stack.push(child);
  }
  return kib / 1024;
}

const CREATED_AT = '"createdAt":"';

/** SSE clients, one socket each, counting the events stamped inside a window and their latency. */
class Watchers {
  private requests: http.ClientRequest[] = [];
  private window = { from: Infinity, to: -Infinity };
  received = 0;
  open = 0;
  failed = 0;
  latencies: number[] = [];

  /** Opens `urls`, `batch` at a time (a busy server accepts about one connection per event-loop turn). */
  async connect(urls: string[], headers: Record<string, string>, batch = 100) {
    for (let index = 0; index < urls.length; index += batch) {
      await Promise.all(urls.slice(index, index + batch).map((url) => this.connectOne(url, headers)));
    }
  }

  private connectOne(url: string, headers: Record<string, string>) {
    return new Promise<void>((resolve) => {
      const request = http.get(url, { headers, agent: false }, (response) => {
        if (response.statusCode !== 200) {
          this.failed += 1;
          response.resume();
          resolve();
          return;
        }
        this.open += 1;
        response.setEncoding("utf8");
        let rest = "";
        response.on("data", (chunk: string) => {
          const now = Date.now();
          const text = rest + chunk;
          const end = text.lastIndexOf("\n\n");
          rest = end < 0 ? text : text.slice(end + 2);
          // The event's commit time (the log's createdAt; for the baselines, when it was made).
          for (let at = text.indexOf(CREATED_AT); at >= 0 && at < end; at = text.indexOf(CREATED_AT, at + CREATED_AT.length)) {
            const t = Date.parse(text.slice(at + CREATED_AT.length, at + CREATED_AT.length + 24));
            if (t >= this.window.from && t <= this.window.to) {
              this.received += 1;
              this.latencies.push(now - t);
            }
          }
        });
        response.once("close", () => (this.open -= 1));
        resolve();
      });
      request.on("error", () => {
        this.failed += 1;
        resolve();
      });
      this.requests.push(request);
    });
  }

  measure(from: number, to: number) {
    this.window = { from, to };
    this.received = 0;
    this.latencies = [];
  }

  close() {
    this.requests.forEach((request) => request.destroy());
    this.requests = [];
  }
}

interface Row {
  server: string;
  watchers: number;
  delivered: number | null;
  p50: number | null;
  p99: number | null;
  cpu: number;
  postgresCpu: number | null;
  rssGrowth: number;
  eventsMade: number;
  /** Server CPU per event delivered to one stream, µs. */
  cpuPerDeliveryUs: number | null;
}

/** Drives one server: warm-up, then a window; returns what it measured. */
async function measure(options: {
  server: string;
  pid: number;
  postgresPid?: number;
  watchers?: Watchers;
  watcherCount: number;
  generate: () => Promise<void>;
  generated: (from: number, to: number) => Promise<number>;
  stop: () => Promise<void>;
}): Promise<Row> {
  await options.generate();
  await sleep(WARMUP_SECONDS * 1000);
  const from = Date.now();
  const to = from + SECONDS * 1000;
  options.watchers?.measure(from, to);
  const cpu0 = treeCpuMs(options.pid);
  const pg0 = options.postgresPid ? treeCpuMs(options.postgresPid) : 0;
  const rss0 = treeRssMiB(options.pid);
  await sleep(SECONDS * 1000);
  const cpu = treeCpuMs(options.pid) - cpu0;
  const pgCpu = options.postgresPid ? treeCpuMs(options.postgresPid) - pg0 : 0;
  const rss = treeRssMiB(options.pid) - rss0;
  await sleep(2000); // the last events of the window arrive
  await options.stop();
  const made = await options.generated(from, to);
  const watchers = options.watchers;
  const row: Row = {
    server: options.server,
    watchers: options.watcherCount,
    delivered: watchers ? round((100 * watchers.received) / Math.max(1, made * WATCHERS), 1) : null,
    p50: watchers ? quantile(watchers.latencies, 0.5) : null,
    p99: watchers ? quantile(watchers.latencies, 0.99) : null,
    cpu: round((100 * cpu) / (SECONDS * 1000), 1)!,
    postgresCpu: options.postgresPid ? round((100 * pgCpu) / (SECONDS * 1000), 1) : null,
    rssGrowth: round(rss, 1)!,
    eventsMade: made,
    cpuPerDeliveryUs: watchers && watchers.received > 0 ? round((cpu * 1000) / watchers.received, 1) : null,
  };
  printJson({ benchmark: "streams", ...row, tasks: TASKS, rate: RATE, seconds: SECONDS });
  return row;
}

const postJson = async <T>(url: string): Promise<T> => {
  const response = await fetch(url, { method: "POST" });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
};

async function waitForLine(child: ChildProcess, line: string) {
  await new Promise<void>((resolve, reject) => {
    let seen = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(line)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before "${line}": ${seen}`)));
  });
}

async function rawBaseline(): Promise<Row> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(BENCH_ROOT, "lib", "raw-sse-server.mjs")], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await waitForLine(child, "ready");
    const base = `http://127.0.0.1:${port}`;
    const watchers = new Watchers();
    const urls = Array.from({ length: TASKS * WATCHERS }, (_, index) => `${base}/stream/t${index % TASKS}`);
    await watchers.connect(urls, {});
    const row = await measure({
      server: "raw node:http",
      pid: child.pid!,
      watchers,
      watcherCount: watchers.open,
      generate: () => postJson(`${base}/generate?rate=${RATE}&tasks=${TASKS}`).then(() => undefined),
      generated: (from, to) =>
        fetch(`${base}/generated?from=${from}&to=${to}`)
          .then((response) => response.json() as Promise<{ count: number }>)
          .then((body) => body.count),
      stop: () => postJson(`${base}/stop`).then(() => undefined),
    });
    watchers.close();
    return row;
  } finally {
    child.kill("SIGKILL");
  }
}

async function bareNextBaseline(): Promise<Row | undefined> {
  if (process.env.BENCH_SKIP_NEXT === "1") return undefined;
  // Built once, again when the stream routes are missing from an older build.
  if (!existsSync(path.join(BARE_DIR, ".next", "server", "app", "api", "stream-control"))) {
    const build = spawnSync(process.execPath, [NEXT_BIN, "build", BARE_DIR], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    if (build.status !== 0) throw new Error(`next build bench/bare-next failed:\n${build.stdout}\n${build.stderr}`);
  }
  const port = await freePort();
  const child = spawn(process.execPath, [NEXT_BIN, "start", BARE_DIR, "-p", String(port), "-H", "127.0.0.1"], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    stdio: "ignore",
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let attempt = 0; attempt < 300; attempt++) {
      const ok = await fetch(`${base}/api/static`).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) break;
      await sleep(100);
    }
    const watchers = new Watchers();
    const urls = Array.from({ length: TASKS * WATCHERS }, (_, index) => `${base}/api/stream/t${index % TASKS}`);
    await watchers.connect(urls, {}, 50);
    const control = (what: string) => postJson<{ count?: number }>(`${base}/api/stream-control?${what}`);
    const row = await measure({
      server: "bare Next.js route",
      pid: child.pid!,
      watchers,
      watcherCount: watchers.open,
      generate: () => control(`do=generate&rate=${RATE}&tasks=${TASKS}`).then(() => undefined),
      generated: (from, to) => control(`do=generated&from=${from}&to=${to}`).then((body) => body.count ?? 0),
      stop: () => control("do=stop").then(() => undefined),
    });
    watchers.close();
    return row;
  } finally {
    child.kill("SIGKILL");
  }
}

function findPostmaster(dataDir: string): number | undefined {
  for (const file of [path.join(dataDir, "postmaster.pid"), path.join(dataDir, "pg", "postmaster.pid")]) {
    if (existsSync(file)) return Number(readFileSync(file, "utf8").split("\n")[0]);
  }
  return undefined;
}

async function chorus(rows: Row[]) {
  const postgres = await startBenchPostgres();
  const databaseUrl = await postgres.createChorusDatabase("chorus_streams");
  const [port, controlPort] = [await freePort(), await freePort()];
  const child = spawn(
    TSX,
    [
      "--tsconfig",
      path.join(REPO_ROOT, "tsconfig.json"),
      "--import",
      path.join(REPO_ROOT, "bin", "server-only-outside-next.mjs"),
      "lib/chorus-stream-server.ts",
    ],
    {
      cwd: BENCH_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), CONTROL_PORT: String(controlPort), LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const control = `http://127.0.0.1:${controlPort}`;
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForLine(child, "ready");
    const { key, taskIds } = await postJson<{ key: string; taskIds: string[] }>(`${control}/setup?tasks=${TASKS}`);
    const headers = { authorization: `Bearer ${key}` };
    const postgresPid = findPostmaster(postgres.dataDir);
    const drive = {
      generate: () => postJson(`${control}/generate?rate=${RATE}`).then(() => undefined),
      generated: (from: number, to: number) =>
        fetch(`${control}/generated?from=${from}&to=${to}`)
          .then((response) => response.json() as Promise<{ count: number }>)
          .then((body) => body.count),
      stop: () => postJson(`${control}/stop`).then(() => undefined),
    };
    const positions = async () => (await (await fetch(`${control}/positions`)).json()) as Record<string, number>;

    rows.push(await measure({ server: "Chorus, appends only", pid: child.pid!, postgresPid, watcherCount: 0, ...drive }));

    const watchers = new Watchers();
    const at = await positions();
    const urls = Array.from({ length: TASKS * WATCHERS }, (_, index) => {
      const taskId = taskIds[index % TASKS]!;
      return `${base}/api/v1/tasks/${taskId}/events?after=${at[taskId]}`;
    });
    await watchers.connect(urls, headers);
    rows.push(await measure({ server: "Chorus", pid: child.pid!, postgresPid, watchers, watcherCount: watchers.open, ...drive }));
    watchers.close();
    await sleep(1000);

    // Idle streams held: RSS per stream, CPU while nothing happens but heartbeats.
    const idle = new Watchers();
    const idleAt = await positions();
    const rssBefore = treeRssMiB(child.pid!);
    const opening = performance.now();
    await idle.connect(
      Array.from({ length: IDLE_STREAMS }, (_, index) => {
        const taskId = taskIds[index % TASKS]!;
        return `${base}/api/v1/tasks/${taskId}/events?after=${idleAt[taskId]}`;
      }),
      headers,
      200,
    );
    const openedSeconds = (performance.now() - opening) / 1000;
    await sleep(2000);
    const cpu0 = treeCpuMs(child.pid!);
    await sleep(10_000);
    const idleCpu = (100 * (treeCpuMs(child.pid!) - cpu0)) / 10_000;
    const rssAfter = treeRssMiB(child.pid!);
    const idleRow = {
      requested: IDLE_STREAMS,
      held: idle.open,
      failed: idle.failed,
      openSeconds: round(openedSeconds, 1),
      rssGrowthMiB: round(rssAfter - rssBefore, 1),
      kibPerStream: round(((rssAfter - rssBefore) * 1024) / Math.max(1, idle.open), 1),
      idleCpuPercent: round(idleCpu, 1),
    };
    printJson({ benchmark: "streams-idle", ...idleRow });
    idle.close();
    await sleep(2000);

    // A real task's duration, approval to end, with every watcher on it vs none (alternating, three times, after one untimed).
    const warmUp = await postJson<{ id: string }>(`${control}/task`);
    await postJson(`${control}/task/${warmUp.id}/approve`);
    const durations: { none: number[]; watched: number[] } = { none: [], watched: [] };
    for (let round = 0; round < 3; round++) {
      for (const watched of [false, true]) {
        const { id } = await postJson<{ id: string }>(`${control}/task`);
        const onTask = new Watchers();
        if (watched)
          await onTask.connect(
            Array.from({ length: TASKS * WATCHERS }, () => `${base}/api/v1/tasks/${id}/events`),
            headers,
          );
        const { ms, status } = await postJson<{ ms: number; status: string }>(`${control}/task/${id}/approve`);
        if (status !== "completed") throw new Error(`the timed task ${status}`);
        (watched ? durations.watched : durations.none).push(ms);
        onTask.close();
        await sleep(1000);
      }
    }
    const none = quantile(durations.none, 0.5);
    const watched = quantile(durations.watched, 0.5);
    const durationRow = {
      watchers: TASKS * WATCHERS,
      noneMs: round(none, 0),
      watchedMs: round(watched, 0),
      ratio: round(watched / none, 2),
      meetsTarget: watched / none <= TARGET_DURATION_RATIO,
    };
    printJson({ benchmark: "streams-task-duration", ...durationRow, runs: durations });
    return { idleRow, durationRow };
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    child.kill("SIGKILL");
    await postgres.stop();
  }
}

async function main() {
  console.log(JSON.stringify({ machine: machine(), tasks: TASKS, watchersPerTask: WATCHERS, rate: RATE, seconds: SECONDS }));
  const rows: Row[] = [await rawBaseline()];
  const next = await bareNextBaseline();
  if (next) rows.push(next);
  const { idleRow, durationRow } = await chorus(rows);
  printTable(
    `${TASKS} tasks × ${WATCHERS} watchers, ${RATE} events/s each (${TASKS * RATE} events/s made, ${TASKS * WATCHERS * RATE} delivered/s), ${SECONDS} s window`,
    [
      "server",
      "streams",
      "events/s",
      "delivered %",
      "p50 ms",
      "p99 ms",
      "server CPU %",
      "CPU µs/delivery",
      "Postgres CPU %",
      "RSS growth MiB",
    ],
    rows.map((row) => [
      row.server,
      row.watchers,
      round(row.eventsMade / SECONDS, 0),
      row.delivered,
      row.p50 === null ? null : round(row.p50, 0),
      row.p99 === null ? null : round(row.p99, 0),
      row.cpu,
      row.cpuPerDeliveryUs,
      row.postgresCpu,
      row.rssGrowth,
    ]),
  );
  printTable(
    "Idle streams held by Chorus",
    ["asked", "held", "failed", "open s", "RSS growth MiB", "KiB/stream", "idle CPU %"],
    [
      [
        idleRow.requested,
        idleRow.held,
        idleRow.failed,
        idleRow.openSeconds,
        idleRow.rssGrowthMiB,
        idleRow.kibPerStream,
        idleRow.idleCpuPercent,
      ],
    ],
  );
  printTable(
    `A task's duration (approval to end, median of 3) with ${durationRow.watchers} watchers vs none (target ≤ ${TARGET_DURATION_RATIO}×)`,
    ["no watchers ms", "watched ms", "ratio", "meets target"],
    [[durationRow.noneMs, durationRow.watchedMs, durationRow.ratio, durationRow.meetsTarget ? "yes" : "no"]],
  );
}

await main();
