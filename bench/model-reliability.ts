/**
 * Benchmark — what the model service's reliability wrappers add to one model call (issue #20's
 * target: ≤ 1 ms per call).
 *
 * The offline model (no token delay) is called through the AI SDK's streamText three ways,
 * alternately so a noisy neighbour hits all alike:
 * - direct: the model as it is — what an AI SDK app without Chorus runs;
 * - deadlines: withDeadlines (connect, stall and overall timers, a guarded stream);
 * - deadlines + fallback: withFallback over one link (which adds withDeadlines), its breaker
 *   checked on every call against the ModelBreaker row in a real Postgres (read at most once a
 *   second per key, as in production), the call run through opossum.
 * The differences of the medians are the overhead per call. Also measured: one breaker check
 * that has to read the shared row (the cache expired), and one that does not.
 *
 *   bash bench/run.sh models          env: BENCH_CALLS (default 2000)
 */
import { startBenchPostgres } from "./lib/postgres";
import { mean, median, printJson, printTable, quantile, round } from "./lib/report";

const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
process.env.LOG_LEVEL ??= "warn";

const postgres = await startBenchPostgres();
process.env.DATABASE_URL = await postgres.createChorusDatabase("chorus_models");

const { streamText } = await import("ai");
const { getPool } = await import("../server/db/client");
const { createOfflineModel } = await import("../server/llm/offline-model");
const { withDeadlines } = await import("../server/llm/deadlines");
const { withFallback } = await import("../server/llm/fallback");
const { BreakerRegistry } = await import("../server/llm/breaker");

const offline = () => createOfflineModel({ tokenDelayMs: 0 });
const breakers = new BreakerRegistry({ failureThreshold: 5, resetMs: 60_000, sharedReadCacheMs: 1000 });
const models = {
  direct: offline(),
  deadlines: withDeadlines(offline()),
  fallback: withFallback([{ key: "env:offline:chorus-offline", label: "Offline", model: offline() }], { breakers }),
};
type Path = keyof typeof models;
const paths = Object.keys(models) as Path[];

const samples: Record<Path, number[]> = { direct: [], deadlines: [], fallback: [] };
let characters = 0;
const call = async (path: Path, index: number) => {
  const started = performance.now();
  const result = streamText({ model: models[path], prompt: `Summarise harbour dues, case ${index}.`, maxRetries: 0 });
  for await (const part of result.fullStream) if (part.type === "text-delta") characters += part.text.length;
  samples[path].push(performance.now() - started);
};
// Warm-up: connections open, JIT settled.
for (let index = 0; index < 300; index++) for (const path of paths) await call(path, -index - 1);
for (const path of paths) samples[path].length = 0;
for (let index = 0; index < CALLS; index++) for (const path of paths) await call(path, index);

// One breaker check on its own: with the shared row cached, and forced to read it.
const checks = { cached: [] as number[], read: [] as number[] };
const reading = new BreakerRegistry({ sharedReadCacheMs: 0 });
await breakers.openSince("bench:check");
for (let index = 0; index < 2000; index++) {
  let started = performance.now();
  await breakers.openSince("bench:check");
  checks.cached.push(performance.now() - started);
  started = performance.now();
  await reading.openSince("bench:check");
  checks.read.push(performance.now() - started);
}

const row = (label: string, values: number[]) => [
  label,
  round(mean(values), 3),
  round(median(values), 3),
  round(quantile(values, 0.95), 3),
];
printTable(
  `One streamed call of the offline model, ${CALLS} calls each (ms)`,
  ["path", "mean", "p50", "p95"],
  [
    row("streamText, direct", samples.direct),
    row("withDeadlines", samples.deadlines),
    row("withFallback (deadlines + breaker)", samples.fallback),
  ],
);
printTable(
  "One breaker check (ms)",
  ["check", "mean", "p50", "p95"],
  [row("shared row cached (≤ 1 s old)", checks.cached), row("shared row read from Postgres", checks.read)],
);
const deadlinesMs = median(samples.deadlines) - median(samples.direct);
const overheadMs = median(samples.fallback) - median(samples.direct);
console.log(`withDeadlines adds ${round(deadlinesMs, 3)} ms per call at p50; withFallback with its breaker ${round(overheadMs, 3)} ms.`);
console.log(`Target ≤ 1 ms per call: ${overheadMs <= 1 ? "met" : "NOT met"}. (${characters} characters streamed in all.)`);
printJson({
  benchmark: "model-service",
  calls: CALLS,
  directP50Ms: round(median(samples.direct), 3),
  deadlinesP50Ms: round(median(samples.deadlines), 3),
  fallbackP50Ms: round(median(samples.fallback), 3),
  deadlinesOverheadP50Ms: round(deadlinesMs, 3),
  overheadP50Ms: round(overheadMs, 3),
  breakerCheckCachedP50Ms: round(median(checks.cached), 4),
  breakerCheckReadP50Ms: round(median(checks.read), 3),
  target: "≤ 1 ms",
});
breakers.shutdown();
reading.shutdown();
await getPool().end();
await postgres.stop();
