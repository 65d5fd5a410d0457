/**
 * Benchmark 2 — engine throughput.
 *
 * Runs per second of the same 3-step graph with 16 runs in flight (16 closed-loop clients:
 * each starts a run, awaits its completion, starts the next), on Chorus's embedded executor,
 * Mastra + PostgresStore and LangGraph + PostgresSaver, each on its own database of one
 * Postgres. After a warm-up, the engines take turns in interleaved rounds of fixed length.
 *
 *   bash bench/run.sh throughput
 *   env: BENCH_WARMUP (sequential runs per engine, default 300), BENCH_ROUNDS (4),
 *        BENCH_ROUND_SECONDS (5), BENCH_CONCURRENCY (16)
 */
import pg from "pg";
import { type Contestant, chorusDurable, langGraphDurable, mastraDurable } from "./lib/engines";
import { startBenchPostgres } from "./lib/postgres";
import { machine, nodeCpuMs, postmasterPid, printJson, printTable, round, sleep, treeCpuMs } from "./lib/report";
import { diffCounters, installSqlCounter, serverCounters, startCounting, stopCounting } from "./lib/sql-counter";

const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

interface Entry {
  key: "chorus" | "mastra" | "langgraph";
  contestant: Contestant;
  runs: number;
  seconds: number;
  nodeCpuMs: number;
  pgCpuMs: number;
  statements: number;
  writeTransactions: number;
  failures: number;
}

/** `concurrency` closed-loop clients until `seconds` have passed; returns runs completed and wall time. */
async function closedLoop(contestant: Contestant, concurrency: number, seconds: number) {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let runs = 0;
  let failures = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        try {
          await contestant.runOnce();
          runs++;
        } catch (error) {
          failures++;
          if (failures <= 3) console.error(`${contestant.label}: run failed:`, error);
        }
      }
    }),
  );
  return { runs, failures, seconds: (performance.now() - started) / 1000 };
}

async function main() {
  installSqlCounter();
  const postgres = await startBenchPostgres();
  const pgPid = postmasterPid(postgres.dataDir);
  const entries: Entry[] = [];
  try {
    const blank = { runs: 0, seconds: 0, nodeCpuMs: 0, pgCpuMs: 0, statements: 0, writeTransactions: 0, failures: 0 };
    entries.push({ key: "chorus", contestant: await chorusDurable(await postgres.createChorusDatabase("bench_chorus")), ...blank });
    entries.push({ key: "mastra", contestant: await mastraDurable(await postgres.createDatabase("bench_mastra")), ...blank });
    entries.push({ key: "langgraph", contestant: await langGraphDurable(await postgres.createDatabase("bench_langgraph")), ...blank });

    console.error(`engine-throughput: warming up (${WARMUP} sequential runs + 2 s at ${CONCURRENCY} in flight, per engine)…`);
    for (const entry of entries) {
      for (let i = 0; i < WARMUP; i++) await entry.contestant.runOnce();
      await closedLoop(entry.contestant, CONCURRENCY, 2);
    }
    await sleep(500);

    const monitor = new pg.Client({ connectionString: postgres.url });
    await monitor.connect();
    console.error(`engine-throughput: measuring (${ROUNDS} rounds × ${ROUND_SECONDS} s per engine, ${CONCURRENCY} in flight)…`);
    for (let roundIndex = 0; roundIndex < ROUNDS; roundIndex++) {
      for (const entry of roundIndex % 2 === 0 ? entries : [...entries].reverse()) {
        const before = await serverCounters(monitor);
        const node0 = nodeCpuMs();
        const pg0 = pgPid ? treeCpuMs(pgPid) : 0;
        startCounting();
        const result = await closedLoop(entry.contestant, CONCURRENCY, ROUND_SECONDS);
        const counts = stopCounting();
        entry.nodeCpuMs += nodeCpuMs() - node0;
        if (pgPid) entry.pgCpuMs += treeCpuMs(pgPid) - pg0;
        const server = diffCounters(before, await serverCounters(monitor));
        entry.runs += result.runs;
        entry.failures += result.failures;
        entry.seconds += result.seconds;
        entry.statements += counts.statements;
        entry.writeTransactions += server.writeTransactions;
        await sleep(200);
      }
    }
    await monitor.end();

    const rate = (entry: Entry) => entry.runs / entry.seconds;
    const byKey = Object.fromEntries(entries.map((entry) => [entry.key, entry])) as Record<Entry["key"], Entry>;
    const vsMastra = rate(byKey.chorus) / rate(byKey.mastra);
    const vsLangGraph = rate(byKey.chorus) / rate(byKey.langgraph);
    printTable(
      `Engine throughput, ${CONCURRENCY} runs in flight (3-step graph; ${ROUNDS} × ${ROUND_SECONDS} s per engine, interleaved)`,
      ["engine", "runs/s", "Chorus ÷ this", "node CPU/run (ms)", "Postgres CPU/run (ms)", "SQL/run", "commits/run", "failed"],
      entries.map((entry) => [
        entry.contestant.label,
        round(rate(entry), 1),
        round(rate(byKey.chorus) / rate(entry)),
        round(entry.nodeCpuMs / entry.runs),
        pgPid ? round(entry.pgCpuMs / entry.runs) : null,
        round(entry.statements / entry.runs, 1),
        round(entry.writeTransactions / entry.runs, 1),
        entry.failures,
      ]),
    );
    console.log(`target: Chorus ≥ 2× Mastra → ${round(vsMastra)}× (${vsMastra >= 2 ? "met" : "NOT met"})\n`);

    printJson({
      benchmark: "engine-throughput",
      machine: machine(),
      params: { warmup: WARMUP, rounds: ROUNDS, roundSeconds: ROUND_SECONDS, concurrency: CONCURRENCY },
      runsPerSecond: Object.fromEntries(entries.map((entry) => [entry.key, round(rate(entry), 1)])),
      ratios: { chorusVsMastra: round(vsMastra, 3), chorusVsLangGraph: round(vsLangGraph, 3) },
      targets: { chorusVsMastra: { min: 2, met: vsMastra >= 2 } },
      perRun: Object.fromEntries(
        entries.map((entry) => [
          entry.key,
          {
            nodeCpuMs: round(entry.nodeCpuMs / entry.runs, 3),
            postgresCpuMs: pgPid ? round(entry.pgCpuMs / entry.runs, 3) : null,
            statements: round(entry.statements / entry.runs, 2),
            writeTransactions: round(entry.writeTransactions / entry.runs, 2),
          },
        ]),
      ),
      failures: Object.fromEntries(entries.map((entry) => [entry.key, entry.failures])),
    });
  } finally {
    for (const entry of entries) await entry.contestant.close().catch(() => undefined);
    await postgres.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error("engine-throughput failed:", error);
    process.exit(1);
  },
);
