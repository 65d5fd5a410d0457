/**
 * Start-up time: `node bin/start.mjs` (built) to the first 200 from `/api/health/ready`, with an
 * existing data dir (the everyday restart) and with an empty one (the first start: initdb,
 * migrations, first-run bootstrap), against a bare Next.js app (bench/bare-next) started with
 * `next start` to its first 200 — measured in the same run, interleaved, so a busy machine slows
 * both. Targets (issue #22): < 3 s with existing data, < 5 s for a first start.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { ChorusServer, freePort, makeDataDir } from "./lib/server";
import { median, printJson, printTable, round, sleep } from "./lib/report";
import { startBareNext } from "./lib/bare-next";
import { REPO_ROOT } from "./lib/paths";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TARGET = { existing: 3, empty: 5 };

/** Milliseconds from spawning `child` until `url` answers 200, polled every 10 ms. */
async function untilOk(child: ChildProcess, url: string, started: number, timeoutMs = 120_000): Promise<number> {
  let exited: number | null | undefined;
  child.once("exit", (code) => (exited = code));
  while (performance.now() - started < timeoutMs) {
    if (exited !== undefined) throw new Error(`the process exited (code ${exited}) before ${url} answered`);
    const ok = await fetch(url).then(
      async (response) => (await response.arrayBuffer(), response.ok),
      () => false,
    );
    if (ok) return performance.now() - started;
    await sleep(10);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s`);
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const forced = setTimeout(() => child.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(forced);
}

async function timeChorus(dataDir: string): Promise<number> {
  const port = await freePort();
  const server = new ChorusServer({ dataDir, port, offlineTokenDelayMs: 0, logFile: path.join(dataDir, "..", `start-up-${port}.log`) });
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "start.mjs")], { cwd: REPO_ROOT, env: server.env(), stdio: "ignore" });
  try {
    return await untilOk(child, `http://127.0.0.1:${port}/api/health/ready`, started);
  } finally {
    await stop(child);
  }
}

async function timeBareNext(): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = await startBareNext(port, { pollMs: 10 });
  const elapsed = performance.now() - started;
  await stop(child);
  return elapsed;
}

async function main() {
  const root = await makeDataDir("chorus-bench-start-up-");
  const existingDir = path.join(root, "existing");
  // The first start builds Next.js when the build is stale and creates the data dir; not measured.
  const warm = new ChorusServer({
    dataDir: existingDir,
    port: await freePort(),
    offlineTokenDelayMs: 0,
    logFile: path.join(root, "warm.log"),
  });
  await warm.start();
  await warm.stop();
  await timeBareNext(); // builds bench/bare-next once, if needed

  const times = { bare: [] as number[], existing: [] as number[], empty: [] as number[] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      times.bare.push(await timeBareNext());
      times.existing.push(await timeChorus(existingDir));
      const emptyDir = path.join(root, `empty-${round}`);
      times.empty.push(await timeChorus(emptyDir));
      rmSync(emptyDir, { recursive: true, force: true });
    }
  } finally {
    if (!process.env.BENCH_KEEP) rmSync(root, { recursive: true, force: true });
  }

  const seconds = (values: number[]) => round(median(values) / 1000, 2);
  const bare = median(times.bare);
  const row = (name: string, values: number[], target?: number) => [
    name,
    seconds(values),
    `${round(Math.min(...values) / 1000, 2)}–${round(Math.max(...values) / 1000, 2)}`,
    round(median(values) / bare, 2),
    target === undefined ? "—" : `< ${target} s: ${median(values) / 1000 < target ? "yes" : "no"}`,
  ];
  printTable(
    `Start-up to the first 200, median of ${ROUNDS} interleaved rounds`,
    ["server", "median s", "range s", "× bare Next", "target"],
    [
      row("bare Next.js (`next start`, one static route)", times.bare),
      row("Chorus, existing data dir (`npm start`, built)", times.existing, TARGET.existing),
      row("Chorus, empty data dir (first start)", times.empty, TARGET.empty),
    ],
  );
  printJson({
    benchmark: "start-up",
    rounds: ROUNDS,
    bareNextS: seconds(times.bare),
    existingS: seconds(times.existing),
    emptyS: seconds(times.empty),
    existingVsBare: round(median(times.existing) / bare, 2),
    emptyVsBare: round(median(times.empty) / bare, 2),
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
