/**
 * Benchmark — the model service under a failing provider (issue #20's fault run).
 *
 * A team routes every model call to a provider that fails 30% of requests (500s, 429s with
 * Retry-After, and timeouts: streams that stall after their first piece, planner requests never
 * answered — bench/lib/flaky-openai-server.ts), with a 1.5-second total outage a second in, and falls
 * back to the offline model. 50 tasks run at once, each with a budget — generous, middling or
 * tight enough that some must end `budget_exceeded`. Then a batch of 10 tasks runs twice, to measure
 * the response cache's hit rate on the repeat. Everything is real: the embedded executor, the
 * AI SDK's OpenAI client over HTTP, the breakers, deadlines, cache and budgets in Postgres.
 *
 * Reported: tasks by final status (every one must end completed or budget_exceeded), the
 * provider's faults, failed model calls (each a retry or a fallback), calls the fallback answered,
 * step retries, breaker openings, cache hit rate, and each task's spend against its budget (never
 * over — the run exits 1 if any task overspent or ended otherwise).
 *
 *   bash bench/run.sh modelfault
 *   env: BENCH_TASKS (50), BENCH_FAILURE_RATE (0.3), BENCH_OUTAGE_MS (1500), BENCH_SEED
 */
import { randomBytes } from "node:crypto";
import { startBenchPostgres } from "./lib/postgres";
import { startFlakyOpenAiServer } from "./lib/flaky-openai-server";
import { printJson, printTable, round } from "./lib/report";

const TASKS = Number(process.env.BENCH_TASKS ?? 50);
const FAILURE_RATE = Number(process.env.BENCH_FAILURE_RATE ?? 0.3);
const OUTAGE_MS = Number(process.env.BENCH_OUTAGE_MS ?? 1500);
const SEED = Number(process.env.BENCH_SEED ?? Date.now() % 2147483647);
/** Task budgets, in turn: generous, middling, tight — tight enough that some tasks must end budget_exceeded. */
const BUDGETS_USD = [0.05, 0.012, 0.005];
const MODEL = "flaky-model";

process.env.LOG_LEVEL ??= "warn";
process.env.CHORUS_MASTER_KEY ??= randomBytes(32).toString("base64");
// Answers take a little time (the offline fallback 1 ms a token, the provider 20 ms a piece), so calls overlap as in production.
process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = "1";
// A breaker that half-opens after 2 s, so the run sees it open, probe and close again.
process.env.CHORUS_BREAKER_RESET_MS ??= "2000";
process.env.CHORUS_MODEL_PRICES = JSON.stringify({ [MODEL]: { input: 2, output: 8 } });
delete process.env.OPENAI_BASE_URL;
delete process.env.OPENAI_API_KEY;
delete process.env.ANTHROPIC_API_KEY;

// Breaker openings are logged at warn level: counted from this process's log lines.
let breakerOpenings = 0;
const writeErr = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
  if (text.includes("a model's circuit breaker opened")) breakerOpenings += 1;
  if (text.includes('"level":"warn"') || text.includes('"level":"info"')) return true; // counted, not printed
  return (writeErr as (...args: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stderr.write;

const postgres = await startBenchPostgres();
let outageFrom = 0;
let outageUntil = 0;
const provider = await startFlakyOpenAiServer({
  model: MODEL,
  failureRate: FAILURE_RATE,
  seed: SEED,
  outage: () => Date.now() >= outageFrom && Date.now() < outageUntil,
});
let exitCode = 0;
try {
  process.env.DATABASE_URL = await postgres.createChorusDatabase("chorus_model_fault");
  const { getDb, getPool } = await import("../server/db/client");
  const { startExecutor } = await import("../server/runtime/executor");
  const { createModelProvider, updateModelRouting } = await import("../server/teams/model-providers");
  const { createTask } = await import("../server/tasks/tasks");
  const { settleUsageRecords } = await import("../server/llm/usage-recording");

  const db = getDb();
  const team = await db.team.create({ data: { slug: "fault", name: "Fault run" } });
  const user = await db.user.create({ data: { email: "fault@bench.dev" } });
  await db.membership.create({ data: { teamId: team.id, userId: user.id, role: "admin" } });
  const admin = { teamId: team.id, userId: user.id, role: "admin" as const };
  const flaky = await createModelProvider(admin, {
    name: "flaky",
    kind: "openai-compatible",
    baseUrl: provider.baseURL,
    apiKey: "sk-flaky-0123456789",
    connectTimeoutMs: 2000,
    stallTimeoutMs: 1000,
    overallTimeoutMs: 15_000,
  });
  await updateModelRouting(admin, {
    default: [
      { providerId: flaky.id, model: MODEL },
      { providerId: "env", model: "chorus-offline" },
    ],
  });
  const stopExecutor = await startExecutor({ pool: getPool(), concurrency: 16 });

  const subjects = ["harbour dues", "lighthouse lamps", "tide tables", "canal locks", "ferry timetables", "pilot boats", "buoy colours"];
  const promptFor = (index: number) =>
    `Research ${subjects[index % subjects.length]} in port ${index}, then analyse the costs and summarise the findings.`;
  const finalStatuses = ["completed", "budget_exceeded", "failed", "cancelled"];
  async function waitForAll(ids: string[]) {
    const deadline = Date.now() + 15 * 60_000;
    for (;;) {
      const { rows } = await getPool().query<{ open: string }>(
        `SELECT count(*) AS open FROM "Task" WHERE id = ANY($1) AND status::text <> ALL($2)`,
        [ids, finalStatuses],
      );
      if (Number(rows[0]!.open) === 0) return;
      if (Date.now() > deadline) throw new Error(`${rows[0]!.open} tasks still running after 15 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  // Phase 1: 50 budgeted tasks at once, through a 30%-failing provider with an early outage.
  const started = performance.now();
  outageFrom = Date.now() + 1000;
  outageUntil = outageFrom + OUTAGE_MS;
  const ids: string[] = [];
  const budgets = new Map<string, number>();
  for (let index = 0; index < TASKS; index++) {
    const maxCostUsd = BUDGETS_USD[index % BUDGETS_USD.length]!;
    const task = await createTask(admin, { prompt: promptFor(index), maxCostUsd, cache: false });
    ids.push(task.id);
    budgets.set(task.id, maxCostUsd);
  }
  await waitForAll(ids);
  const phaseSeconds = (performance.now() - started) / 1000;
  await settleUsageRecords();
  const answers = { ...provider.counts };

  const openings = breakerOpenings;
  const statuses = await getPool().query<{ status: string; count: string }>(
    `SELECT status::text AS status, count(*) FROM "Task" WHERE id = ANY($1) GROUP BY 1 ORDER BY 1`,
    [ids],
  );
  const byBudget = await getPool().query<{ budget: number; status: string; count: string }>(
    `SELECT "budgetUsd"::float8 AS budget, status::text AS status, count(*) FROM "Task" WHERE id = ANY($1) GROUP BY 1, 2 ORDER BY 1 DESC, 2`,
    [ids],
  );
  const calls = await getPool().query<{ model: string; outcome: string; cached: boolean; count: string }>(
    `SELECT CASE WHEN "modelId" = $2 THEN 'flaky' ELSE 'fallback (offline)' END AS model, outcome, cached, count(*)
     FROM "ModelCall" WHERE "taskId" = ANY($1) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    [ids, MODEL],
  );
  const executions = await getPool().query<{ retried: string; fellBack: string; total: string }>(
    `SELECT count(*) FILTER (WHERE attempt > 1) AS retried, count(*) FILTER (WHERE output ? 'modelFallbacks') AS "fellBack", count(*) AS total
     FROM "AgentExecution" WHERE "taskId" = ANY($1)`,
    [ids],
  );
  const spend = await getPool().query<{ id: string; budget: number; spent: number; counted: number }>(
    `SELECT t.id, t."budgetUsd"::float8 AS budget, COALESCE(sum(m."costUsd"), 0)::float8 AS spent, t."budgetSpentUsd"::float8 AS counted
     FROM "Task" t LEFT JOIN "ModelCall" m ON m."taskId" = t.id WHERE t.id = ANY($1) GROUP BY t.id`,
    [ids],
  );
  const over = spend.rows.filter((row) => row.spent > row.budget + 1e-9);
  const worst = Math.max(...spend.rows.map((row) => row.spent / row.budget));
  const totalSpent = spend.rows.reduce((sum, row) => sum + row.spent, 0);
  const totalBudget = spend.rows.reduce((sum, row) => sum + row.budget, 0);
  const unexpected = statuses.rows.filter((row) => row.status !== "completed" && row.status !== "budget_exceeded");

  printTable(
    `${TASKS} budgeted tasks through a provider failing ${Math.round(FAILURE_RATE * 100)}% (+ a ${OUTAGE_MS / 1000} s outage), ${round(phaseSeconds, 1)} s`,
    ["budget", "final status", "tasks"],
    byBudget.rows.map((row) => [`$${row.budget}`, row.status, Number(row.count)]),
  );
  printTable(
    "The provider's answers",
    ["answer", "requests"],
    [
      ["ok", answers.ok],
      ["500", answers["500"]],
      ["429 + Retry-After", answers["429"]],
      ["timeout (stall or no answer)", answers.timeout],
    ],
  );
  printTable(
    "Model calls as the task saw them (a link that failed before answering is not a row: the fallback's answer is)",
    ["answered by", "outcome", "cached", "calls"],
    calls.rows.map((row) => [row.model, row.outcome, row.cached ? "yes" : "no", Number(row.count)]),
  );
  const failedCalls = calls.rows.filter((row) => row.outcome === "failed").reduce((sum, row) => sum + Number(row.count), 0);
  const faults = answers["500"] + answers["429"] + answers.timeout;
  const fallbackCalls = calls.rows
    .filter((row) => row.model !== "flaky" && row.outcome === "completed")
    .reduce((sum, row) => sum + Number(row.count), 0);
  console.log(
    `Provider faults: ${faults} of ${answers.requests} requests, each moved to the fallback or retried by its step; ` +
      `failed calls seen by tasks: ${failedCalls}. Agent executions: ${executions.rows[0]!.total}, ${executions.rows[0]!.retried} of them step retries, ` +
      `${executions.rows[0]!.fellBack} answered after a fallback. Breaker openings: ${openings}.`,
  );
  console.log(
    `Spend: $${round(totalSpent, 6)} of $${round(totalBudget, 4)} budgeted; the most any task spent was ${round(worst * 100, 1)}% of its budget; ` +
      `over budget: ${over.length} task(s).`,
  );

  // Phase 2: the same 10 prompts twice, the cache on; the hit rate of the repeat.
  outageUntil = 0;
  const batch = async () => {
    const batchIds: string[] = [];
    for (let index = 0; index < 10; index++)
      batchIds.push((await createTask(admin, { prompt: promptFor(1000 + index), maxCostUsd: BUDGETS_USD[0] })).id);
    await waitForAll(batchIds);
    await settleUsageRecords();
    return batchIds;
  };
  await batch();
  const repeated = await batch();
  const repeat = await getPool().query<{ cached: string; total: string }>(
    `SELECT count(*) FILTER (WHERE cached) AS cached, count(*) AS total FROM "ModelCall" WHERE "taskId" = ANY($1) AND outcome = 'completed'`,
    [repeated],
  );
  const hitRate = Number(repeat.rows[0]!.cached) / Math.max(1, Number(repeat.rows[0]!.total));
  console.log(
    `Repeated batch of 10: ${repeat.rows[0]!.cached} of ${repeat.rows[0]!.total} completed model calls answered from the cache (${round(hitRate * 100, 1)}%).`,
  );

  printJson({
    benchmark: "model-fault-run",
    tasks: TASKS,
    seed: SEED,
    failureRate: FAILURE_RATE,
    outageMs: OUTAGE_MS,
    seconds: round(phaseSeconds, 1),
    statuses: Object.fromEntries(statuses.rows.map((row) => [row.status, Number(row.count)])),
    providerAnswers: answers,
    providerFaults: faults,
    failedModelCalls: failedCalls,
    fallbackAnsweredCalls: fallbackCalls,
    stepRetries: Number(executions.rows[0]!.retried),
    executionsWithFallback: Number(executions.rows[0]!.fellBack),
    breakerOpenings: openings,
    repeatedBatchCacheHitRate: round(hitRate, 3),
    spentUsd: round(totalSpent, 6),
    budgetUsd: round(totalBudget, 4),
    maxShareOfBudget: round(worst, 3),
    tasksOverBudget: over.length,
    target: "every task completed or budget_exceeded; no task over its budget",
  });
  if (over.length > 0 || unexpected.length > 0) {
    console.error(`FAILED: ${over.length} task(s) over budget, ${unexpected.length} unexpected final status(es)`);
    exitCode = 1;
  }
  await stopExecutor();
  const { closeDb } = await import("../server/db/client");
  await closeDb();
} finally {
  await provider.close();
  await postgres.stop();
}
process.exit(exitCode);
