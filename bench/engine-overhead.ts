/**
 * Benchmark 1 — per-step durable overhead.
 *
 * The same 3-step sequential graph (research → analysis → synthesis, trivial synchronous
 * work, no model) on Chorus's embedded executor, LangGraph JS and Mastra, each with Postgres
 * persistence and without. One run in flight at a time; after a warm-up, contestants take
 * turns in interleaved blocks so the machine's noise lands on all of them alike.
 *
 *   overhead per step = (median run latency with persistence − without) / 3
 *
 * The same on a 12-step graph (BENCH_LONG_STEPS) splits each engine's overhead into a fixed
 * cost per run and a cost per additional step (diagnostic; the targets use the 3-step graph).
 *
 * Then, per persistent engine, the database work of one run: statements sent (client side),
 * write transactions (= durable commits; transaction ids consumed, server side) and WAL bytes.
 *
 *   bash bench/run.sh overhead
 *   env: BENCH_WARMUP (runs per contestant, default 400), BENCH_ROUNDS (8), BENCH_BLOCK (50),
 *        BENCH_LONG_STEPS (12; 0 skips the long graph), BENCH_WARMUP_LONG (150), BENCH_BLOCK_LONG (20),
 *        BENCH_SQL_RUNS (50), BENCH_VERBOSE (print every statement shape)
 */
import pg from "pg";
import {
  type ChorusDurable,
  type Contestant,
  type StoreTiming,
  chorusEngine,
  chorusInMemory,
  chorusTestEngine,
  langGraphDurable,
  langGraphInMemory,
  mastraDurable,
  mastraInMemory,
} from "./lib/engines";
import { startBenchPostgres } from "./lib/postgres";
import { machine, median, nodeCpuMs, postmasterPid, printJson, printTable, quantile, round, sleep, treeCpuMs } from "./lib/report";
import { diffCounters, installSqlCounter, serverCounters, startCounting, stopCounting } from "./lib/sql-counter";

const WARMUP = Number(process.env.BENCH_WARMUP ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const BLOCK = Number(process.env.BENCH_BLOCK ?? 50);
const ACCOUNTING_RUNS = Number(process.env.BENCH_SQL_RUNS ?? 50);
const STEPS = 3;
/** The long graph (0 to skip): separates each engine's cost per extra step from its fixed cost per run. */
const LONG = Number(process.env.BENCH_LONG_STEPS ?? 12);
const WARMUP_LONG = Number(process.env.BENCH_WARMUP_LONG ?? 150);
const BLOCK_LONG = Number(process.env.BENCH_BLOCK_LONG ?? 20);

interface Entry {
  key: string;
  contestant: Contestant;
  reference?: boolean;
  /** The long graph's contestants. */
  long?: boolean;
  latencies: number[];
  /** Median latency of each round's block, to pair contestants measured at the same moment. */
  blockMedians: number[];
  nodeCpuMs: number;
  pgCpuMs: number;
}

async function main() {
  installSqlCounter();
  const postgres = await startBenchPostgres();
  const pgPid = postmasterPid(postgres.dataDir);
  const entries: Entry[] = [];
  let closeChorus: (() => Promise<void>) | undefined;
  try {
    const chorusUrl = await postgres.createChorusDatabase("bench_chorus");
    // One executor for both Chorus graphs (a process has one; see chorusEngine).
    const chorusEngineHandle = await chorusEngine(chorusUrl, LONG > STEPS ? [STEPS, LONG] : [STEPS]);
    closeChorus = chorusEngineHandle.close;
    const langGraphUrl = await postgres.createDatabase("bench_langgraph");
    const mastraUrl = await postgres.createDatabase("bench_mastra");
    const chorus: ChorusDurable = chorusEngineHandle.contestants.get(STEPS)!;
    const add = (key: string, contestant: Contestant, reference = false, long = false) =>
      entries.push({ key, contestant, reference, long, latencies: [], blockMedians: [], nodeCpuMs: 0, pgCpuMs: 0 });
    add("chorus", chorus);
    add(
      "chorus-direct",
      { ...chorus, label: "Chorus, executor.send() instead of inngest.send()", runOnce: chorus.runDirect, close: async () => {} },
      true,
    );
    add("chorus-memory", chorusInMemory());
    add("chorus-inngest-test", chorusTestEngine(), true);
    add("langgraph", await langGraphDurable(langGraphUrl, "async"));
    add("langgraph-sync", await langGraphDurable(langGraphUrl, "sync"), true);
    add("langgraph-memory", langGraphInMemory());
    add("mastra", await mastraDurable(mastraUrl));
    add("mastra-memory", mastraInMemory());
    if (LONG > STEPS) {
      add("chorus-long", chorusEngineHandle.contestants.get(LONG)!, false, true);
      add("chorus-long-memory", chorusInMemory(LONG), false, true);
      add("langgraph-long", await langGraphDurable(await postgres.createDatabase("bench_langgraph_long"), "async", LONG), false, true);
      add("langgraph-long-memory", langGraphInMemory(LONG), false, true);
      add("mastra-long", await mastraDurable(await postgres.createDatabase("bench_mastra_long"), LONG), false, true);
      add("mastra-long-memory", mastraInMemory(LONG), false, true);
    }

    // Warm-up: JIT, connection pools, prepared statements, table pages (LangGraph needs hundreds).
    console.error(`engine-overhead: warming up (${WARMUP} runs per contestant; ${WARMUP_LONG} for the ${LONG}-step graph)…`);
    for (const entry of entries) {
      for (let i = 0; i < (entry.long ? WARMUP_LONG : WARMUP); i++) await entry.contestant.runOnce();
    }
    await sleep(500);

    // Measure in interleaved blocks.
    console.error(`engine-overhead: measuring (${ROUNDS} rounds × ${BLOCK} runs per contestant)…`);
    for (let round = 0; round < ROUNDS; round++) {
      for (const entry of round % 2 === 0 ? entries : [...entries].reverse()) {
        const node0 = nodeCpuMs();
        const pg0 = pgPid ? treeCpuMs(pgPid) : 0;
        const block: number[] = [];
        for (let i = 0; i < (entry.long ? BLOCK_LONG : BLOCK); i++) {
          const started = performance.now();
          await entry.contestant.runOnce();
          block.push(performance.now() - started);
        }
        entry.latencies.push(...block);
        entry.blockMedians.push(median(block));
        entry.nodeCpuMs += nodeCpuMs() - node0;
        if (pgPid) entry.pgCpuMs += treeCpuMs(pgPid) - pg0;
      }
    }

    // Database work per run, one persistent contestant at a time.
    const monitor = new pg.Client({ connectionString: postgres.url });
    await monitor.connect();
    let chorusStore: Map<string, StoreTiming> | undefined;
    let chorusAccountingLatency = 0;
    const accounting = new Map<
      string,
      { statements: number; txControl: number; writeTransactions: number; walBytes: number; texts: Map<string, number> }
    >();
    for (const entry of entries.filter((candidate) => candidate.contestant.persistent)) {
      await sleep(200);
      const runsCounted = entry.long ? Math.ceil(ACCOUNTING_RUNS / 2) : ACCOUNTING_RUNS;
      const before = await serverCounters(monitor);
      if (entry.key === "chorus") chorus.resetStoreTimings();
      startCounting({ trace: true });
      const accountingStarted = performance.now();
      for (let i = 0; i < runsCounted; i++) await entry.contestant.runOnce();
      if (entry.key === "chorus") {
        chorusAccountingLatency = (performance.now() - accountingStarted) / ACCOUNTING_RUNS;
        chorusStore = new Map([...chorus.storeTimings].map(([name, timing]) => [name, { ...timing }]));
      }
      await sleep(50); // statements a run issues after it resolved (e.g. the executor's next claim)
      const counts = stopCounting();
      const server = diffCounters(before, await serverCounters(monitor));
      accounting.set(entry.key, {
        statements: counts.statements / runsCounted,
        txControl: counts.txControl / runsCounted,
        writeTransactions: server.writeTransactions / runsCounted,
        walBytes: server.walBytes / runsCounted,
        texts: counts.texts,
      });
    }
    await monitor.end();

    // ── report ───────────────────────────────────────────────────────────────────────────
    const byKey = new Map(entries.map((entry) => [entry.key, entry]));
    const med = (key: string) => median(byKey.get(key)!.latencies);
    const perStep = (durable: string, memory: string) => (med(durable) - med(memory)) / STEPS;
    const overhead = {
      chorus: perStep("chorus", "chorus-memory"),
      langgraph: perStep("langgraph", "langgraph-memory"),
      mastra: perStep("mastra", "mastra-memory"),
    };
    const extra = {
      chorusDirect: perStep("chorus-direct", "chorus-memory"),
      langgraphSync: perStep("langgraph-sync", "langgraph-memory"),
    };
    const runs = (entry: Entry) => entry.latencies.length;
    printTable(
      "Run latency, one run in flight (ms)",
      ["contestant", "median", "p10", "p90", "node CPU/run", "Postgres CPU/run", "runs"],
      entries.map((entry) => [
        entry.contestant.label + (entry.reference ? " *" : ""),
        round(median(entry.latencies)),
        round(quantile(entry.latencies, 0.1)),
        round(quantile(entry.latencies, 0.9)),
        round(entry.nodeCpuMs / runs(entry)),
        pgPid ? round(entry.pgCpuMs / runs(entry)) : null,
        runs(entry),
      ]),
    );
    console.log("* reference rows, not used for the targets\n");

    const ratioLg = overhead.chorus / overhead.langgraph;
    const ratioMastra = overhead.chorus / overhead.mastra;
    // The same ratios round by round (blocks measured minutes apart see different machine
    // noise; within a round they are seconds apart): their spread shows how far to trust them.
    const roundOverhead = (durable: string, memory: string) =>
      byKey.get(durable)!.blockMedians.map((value, index) => (value - byKey.get(memory)!.blockMedians[index]!) / STEPS);
    const perRound = {
      chorus: roundOverhead("chorus", "chorus-memory"),
      langgraph: roundOverhead("langgraph", "langgraph-memory"),
      mastra: roundOverhead("mastra", "mastra-memory"),
    };
    const roundRatios = (other: number[]) => perRound.chorus.map((value, index) => value / other[index]!);
    const spread = (values: number[]) => `${round(Math.min(...values))}–${round(Math.max(...values))}`;
    const lgRounds = roundRatios(perRound.langgraph);
    const mastraRounds = roundRatios(perRound.mastra);
    printTable(
      "Durable overhead per step = (median with persistence − median without) / 3",
      ["engine", "overhead/step (ms)", "per round (ms)", "Chorus ÷ this", "per round", "target", "met"],
      [
        ["Chorus embedded executor", round(overhead.chorus, 3), spread(perRound.chorus), 1, null, null, null],
        [
          "LangGraph + PostgresSaver",
          round(overhead.langgraph, 3),
          spread(perRound.langgraph),
          round(ratioLg),
          spread(lgRounds),
          "≤ 0.5",
          ratioLg <= 0.5 ? "yes" : "NO",
        ],
        [
          "Mastra + PostgresStore",
          round(overhead.mastra, 3),
          spread(perRound.mastra),
          round(ratioMastra),
          spread(mastraRounds),
          "≤ 0.6",
          ratioMastra <= 0.6 ? "yes" : "NO",
        ],
        [
          "(LangGraph, durability sync)",
          round(extra.langgraphSync, 3),
          null,
          round(overhead.chorus / extra.langgraphSync),
          null,
          null,
          null,
        ],
        ["(Chorus via executor.send)", round(extra.chorusDirect, 3), null, null, null, null, null],
      ],
    );

    // Fixed cost per run vs cost per additional step, from the 3-step and the long graph.
    let split: Record<string, { perExtraStepMs: number; fixedPerRunMs: number }> | null = null;
    if (LONG > STEPS) {
      const total = (durable: string, memory: string) => med(durable) - med(memory);
      split = {};
      const rows: (string | number | null)[][] = [];
      for (const [engine, label] of [
        ["chorus", "Chorus embedded executor"],
        ["langgraph", "LangGraph + PostgresSaver"],
        ["mastra", "Mastra + PostgresStore"],
      ] as const) {
        const short = total(engine, `${engine}-memory`);
        const long = total(`${engine}-long`, `${engine}-long-memory`);
        const perExtraStep = (long - short) / (LONG - STEPS);
        const fixed = short - STEPS * perExtraStep;
        split[engine] = { perExtraStepMs: perExtraStep, fixedPerRunMs: fixed };
        const statements = (key: string) => accounting.get(key)?.statements;
        const commits = (key: string) => accounting.get(key)?.writeTransactions;
        const perStepOf = (get: (key: string) => number | undefined) => {
          const a = get(engine);
          const b = get(`${engine}-long`);
          return a === undefined || b === undefined ? null : round((b - a) / (LONG - STEPS), 2);
        };
        rows.push([
          label,
          round(short, 2),
          round(long, 2),
          round(perExtraStep, 3),
          round(fixed, 2),
          perStepOf(statements),
          perStepOf(commits),
        ]);
      }
      printTable(
        `Fixed cost per run vs cost per extra step (durable − in-memory median, ${STEPS}-step and ${LONG}-step graphs)`,
        [
          "engine",
          `overhead, ${STEPS} steps (ms)`,
          `overhead, ${LONG} steps (ms)`,
          "per extra step (ms)",
          "fixed per run (ms)",
          "SQL/extra step",
          "commits/extra step",
        ],
        rows,
      );
      const lgMarginal = split.chorus!.perExtraStepMs / split.langgraph!.perExtraStepMs;
      const mastraMarginal = split.chorus!.perExtraStepMs / split.mastra!.perExtraStepMs;
      console.log(
        `per extra step, Chorus ÷ LangGraph = ${round(lgMarginal)}, Chorus ÷ Mastra = ${round(mastraMarginal)} (not the targets' definition; for diagnosis)\n`,
      );
    }

    printTable(
      `Database work per run (averaged over ${ACCOUNTING_RUNS} runs; ${Math.ceil(ACCOUNTING_RUNS / 2)} for the ${LONG}-step graph)`,
      ["engine", "SQL statements", "of which BEGIN/COMMIT", "write transactions (commits)", "WAL bytes"],
      [...accounting.entries()].map(([key, value]) => [
        byKey.get(key)!.contestant.label,
        round(value.statements, 1),
        round(value.txControl, 1),
        round(value.writeTransactions, 1),
        Math.round(value.walBytes),
      ]),
    );
    if (chorusStore) {
      const rows = [...chorusStore.entries()].sort((a, b) => b[1].ms - a[1].ms);
      printTable(
        `Chorus: executor store calls per run (sequential, ${ACCOUNTING_RUNS} runs; mean run ${round(chorusAccountingLatency)} ms, in-memory run ${round(med("chorus-memory"))} ms)`,
        ["RunStore call", "calls/run", "ms/call", "ms/run"],
        rows.map(([name, timing]) => [
          name,
          round(timing.calls / ACCOUNTING_RUNS, 2),
          round(timing.ms / timing.calls, 3),
          round(timing.ms / ACCOUNTING_RUNS, 3),
        ]),
      );
      console.log("A step is written when the next step is about to start (which waits for it); the last one with the completion.\n");
    }
    if (process.env.BENCH_VERBOSE) {
      for (const [key, value] of accounting) {
        console.log(`statements of ${key} over ${ACCOUNTING_RUNS} runs:`);
        for (const [text, count] of value.texts) console.log(`  ${String(count).padStart(5)}  ${text}`);
      }
    }

    printJson({
      benchmark: "engine-overhead",
      machine: machine(),
      params: { warmup: WARMUP, rounds: ROUNDS, block: BLOCK, steps: STEPS, longSteps: LONG > STEPS ? LONG : null },
      medianRunMs: Object.fromEntries(entries.map((entry) => [entry.key, round(median(entry.latencies), 3)])),
      overheadPerStepMs: Object.fromEntries(Object.entries({ ...overhead, ...extra }).map(([key, value]) => [key, round(value, 3)])),
      ratios: { chorusVsLangGraph: round(ratioLg, 3), chorusVsMastra: round(ratioMastra, 3) },
      ratiosPerRound: {
        chorusVsLangGraph: lgRounds.map((value) => round(value, 3)),
        chorusVsMastra: mastraRounds.map((value) => round(value, 3)),
      },
      targets: { chorusVsLangGraph: { max: 0.5, met: ratioLg <= 0.5 }, chorusVsMastra: { max: 0.6, met: ratioMastra <= 0.6 } },
      fixedVsPerStep: split
        ? Object.fromEntries(
            Object.entries(split).map(([key, value]) => [
              key,
              { perExtraStepMs: round(value.perExtraStepMs, 3), fixedPerRunMs: round(value.fixedPerRunMs, 3) },
            ]),
          )
        : null,
      chorusStoreMsPerRun: chorusStore
        ? Object.fromEntries([...chorusStore.entries()].map(([name, timing]) => [name, round(timing.ms / ACCOUNTING_RUNS, 3)]))
        : null,
      perRun: Object.fromEntries(
        [...accounting.entries()].map(([key, value]) => [
          key,
          {
            statements: round(value.statements, 2),
            writeTransactions: round(value.writeTransactions, 2),
            walBytes: Math.round(value.walBytes),
          },
        ]),
      ),
    });
  } finally {
    for (const entry of entries) await entry.contestant.close().catch(() => undefined);
    await closeChorus?.().catch(() => undefined);
    await postgres.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error("engine-overhead failed:", error);
    process.exit(1);
  },
);
