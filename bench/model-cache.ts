/**
 * Benchmark — the response cache and usage recording on the offline model (issue #20's target:
 * the whole model service adds ≤ 1 ms per call over a direct AI SDK call).
 *
 * One streamed `streamText` call, drained to its end, five ways, interleaved so a noisy
 * neighbour hits all alike, on a real Postgres:
 * - direct: the offline model as it is;
 * - recorded: withUsageRecording (its ModelCall insert runs after the stream, off the call's path);
 * - miss: withUsageRecording + withCache, a new prompt each time (memory miss, a Postgres lookup,
 *   then the answer stored in memory and in Postgres after the stream);
 * - memory hit: the same call again (answered from this process's LRU, no model call);
 * - store hit: the same call after the LRU was cleared (what another process sees: one lookup).
 * - budgeted miss: the whole chain a task with a budget runs — recording, cache (a miss), and the
 *   budget's reservation before the call and settlement after it (task budget only);
 * - team-budgeted miss: the same with a monthly team budget as well (the team's row is locked
 *   and reserved against in the same transaction as the task's).
 *
 *   bash bench/run.sh cache          env: BENCH_CALLS (default 1000)
 */
import { startBenchPostgres } from "./lib/postgres";
import { mean, median, printJson, printTable, quantile, round } from "./lib/report";

const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
process.env.LOG_LEVEL ??= "warn";

const postgres = await startBenchPostgres();
process.env.DATABASE_URL = await postgres.createChorusDatabase("chorus_model_cache");

const { streamText } = await import("ai");
const { getPool } = await import("../server/db/client");
const { createOfflineModel } = await import("../server/llm/offline-model");
const { withCache, forgetCachedResponsesInMemory, settleCacheWrites } = await import("../server/llm/response-cache");
const { withUsageRecording, settleUsageRecords } = await import("../server/llm/usage-recording");
const { cacheCounts } = await import("../server/llm/cache-counters");
const { withBudget } = await import("../server/llm/budget");

const pool = getPool();
await pool.query(`INSERT INTO "Team" (id, slug, name) VALUES ('bench-team', 'bench', 'Bench')`);
await pool.query(`INSERT INTO "Team" (id, slug, name) VALUES ('bench-team-1', 'bench-1', 'Bench 1')`);
await pool.query(`INSERT INTO "Team" (id, slug, name, "monthlyBudgetUsd") VALUES ('bench-team-2', 'bench-2', 'Bench 2', 100000)`);
// Budgets large enough never to refuse: the benchmark times the bookkeeping, not a refusal.
for (const [taskId, teamId] of [
  ["bench-task", "bench-team-1"],
  ["bench-task-2", "bench-team-2"],
]) {
  await pool.query(
    `INSERT INTO "Task" (id, "teamId", prompt, status, "budgetUsd", "maxTokens", "updatedAt") VALUES ($1, $2, 'bench', 'running', 100000, 1000000000, now())`,
    [taskId, teamId],
  );
}
const price = { inputPerMillion: 0.15, outputPerMillion: 0.6 };

const offline = createOfflineModel({ tokenDelayMs: 0 });
const context = { teamId: "bench-team", role: "agent" as const, agentKind: "research" };
type Path = "direct" | "recorded" | "miss" | "memoryHit" | "storeHit" | "budgeted" | "teamBudgeted";
const models = {
  direct: () => offline,
  recorded: () => withUsageRecording(offline, context),
  cached: () => withUsageRecording(withCache(offline, { teamId: "bench-team", enabled: true }), context),
  budgeted: (teamId: string, taskId: string, monthlyBudgetUsd: number | null) =>
    withUsageRecording(
      withCache(withBudget(offline, { teamId, taskId, maxCostUsd: 100_000, maxTokens: 1_000_000_000, monthlyBudgetUsd, price }), {
        teamId,
        enabled: true,
      }),
      { ...context, teamId },
    ),
};

async function drain(path: Path, prompt: string): Promise<number> {
  const model =
    path === "direct"
      ? models.direct()
      : path === "recorded"
        ? models.recorded()
        : path === "budgeted"
          ? models.budgeted("bench-team-1", "bench-task", null)
          : path === "teamBudgeted"
            ? models.budgeted("bench-team-2", "bench-task-2", 100_000)
            : models.cached();
  const started = performance.now();
  const result = streamText({ model, prompt, maxRetries: 0 });
  for await (const part of result.fullStream) if (part.type === "error") throw part.error;
  return performance.now() - started;
}

const samples: Record<Path, number[]> = { direct: [], recorded: [], miss: [], memoryHit: [], storeHit: [], budgeted: [], teamBudgeted: [] };
/**
 * One round: each path once on the same new prompt, in turn. Background writes (usage rows,
 * cache stores) are settled between the timed calls, untimed: they are off each call's path by
 * design, and letting them overlap the next path's call would charge it to that path.
 */
async function measureRound(index: number, keep: boolean) {
  const prompt = `Research the history of harbour ${index} and its lighthouses.`;
  const timings: Array<[Path, number]> = [];
  const time = async (path: Path) => {
    timings.push([path, await drain(path, prompt)]);
    await settleUsageRecords();
    await settleCacheWrites();
  };
  await time("direct");
  await time("recorded");
  await time("miss");
  await time("memoryHit");
  forgetCachedResponsesInMemory();
  await time("storeHit");
  // Budgeted paths miss the cache too: each has a team of its own (the cache key has the team), to which each prompt is new.
  await time("budgeted");
  await time("teamBudgeted");
  if (keep) for (const [path, ms] of timings) samples[path].push(ms);
}

for (let index = 0; index < 100; index++) await measureRound(-index - 1, false);
const before = cacheCounts();
for (let index = 0; index < CALLS; index++) await measureRound(index, true);
await settleUsageRecords();
const after = cacheCounts();

const labels: Record<Path, string> = {
  direct: "direct AI SDK call (offline model)",
  recorded: "+ usage recording",
  miss: "+ recording + cache, miss (lookup, store)",
  memoryHit: "+ recording + cache, hit from memory",
  storeHit: "+ recording + cache, hit from Postgres",
  budgeted: "+ recording + cache miss + task budget",
  teamBudgeted: "+ recording + cache miss + task and team budgets",
};
const paths = Object.keys(labels) as Path[];
printTable(
  `One streamed call drained, ${CALLS} calls each (ms)`,
  ["path", "mean", "p50", "p95"],
  paths.map((path) => [
    labels[path],
    round(mean(samples[path]), 3),
    round(median(samples[path]), 3),
    round(quantile(samples[path], 0.95), 3),
  ]),
);
const direct = median(samples.direct);
const overhead = (path: Path) => round(median(samples[path]) - direct, 3);
console.log(
  `Over a direct call at p50: recording ${overhead("recorded")} ms, recording + cache miss ${overhead("miss")} ms, ` +
    `memory hit ${overhead("memoryHit")} ms, Postgres hit ${overhead("storeHit")} ms, ` +
    `with a task budget ${overhead("budgeted")} ms, with task and team budgets ${overhead("teamBudgeted")} ms.`,
);
console.log(
  `Cache counters over the run: ${after.hits - before.hits} hits (${after.memoryHits - before.memoryHits} memory, ` +
    `${after.storeHits - before.storeHits} Postgres), ${after.misses - before.misses} misses.`,
);
const recorded = await pool.query<{ count: string }>(`SELECT count(*) FROM "ModelCall" WHERE "teamId" = 'bench-team'`);
console.log(`Recorded ${recorded.rows[0]!.count} model calls.`);
printJson({
  benchmark: "model-cache",
  calls: CALLS,
  directP50Ms: round(direct, 3),
  recordedOverheadP50Ms: overhead("recorded"),
  missOverheadP50Ms: overhead("miss"),
  memoryHitP50Ms: round(median(samples.memoryHit), 3),
  storeHitP50Ms: round(median(samples.storeHit), 3),
  budgetedOverheadP50Ms: overhead("budgeted"),
  teamBudgetedOverheadP50Ms: overhead("teamBudgeted"),
  target: "≤ 1 ms model-service overhead per call",
});
await pool.end();
await postgres.stop();
