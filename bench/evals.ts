/**
 * Benchmark — evals (issue #24): an experiment of 100 cases on the offline model against the same
 * 100 tasks run one by one, in the same process and database.
 *
 * The experiment is started the way `chorus eval run` starts one in local mode
 * (server/cli/local-chorus.ts: the API front door in this process, the embedded executor, an API
 * key), over REST; its end is watched in the database (a 25 ms poll, so the CLI's 1 s poll does
 * not blur the wall time). The baseline is the same prompts through `createTask`, each waited
 * for before the next starts. Scorers: the deterministic ones (contains, regex, cost, tokens,
 * latency) and lexical similarity to a reference; then a second experiment of the same cases
 * with only the judge, reported separately (a model call per case through the model service).
 *
 * Reported, as ratios against the baseline measured in the same run (no timed assertions):
 *   1. parallel speed-up = sequential wall time ÷ experiment wall time;
 *   2. eval machinery per case: the CPU this process spent in the experiment's own code (samples
 *      of a CPU profile whose stack holds a frame of server/evals/ or the experiment function)
 *      ÷ cases — target < 5 ms; plus the whole process's and Postgres's CPU of the experiment
 *      minus the baseline's, ÷ cases (what running as an experiment costs beyond the tasks);
 *   3. durable writes per case outside the tasks' own: the executor's rows (WorkflowRun +
 *      WorkflowStep) of the experiment's run ÷ cases — target 1.
 *
 *   bash bench/run.sh evals
 *   env: BENCH_CASES (100), BENCH_TOKEN_DELAY_MS (1: the offline model's delay per token, so tasks
 *        wait as on a real model), BENCH_CONCURRENCY (16: the experiment's), BENCH_JUDGE (1)
 */
import { randomBytes } from "node:crypto";
import { REPO_ROOT } from "./lib/paths";
import { profileWhile, type CpuProfile } from "./lib/profile";
import { machine, nodeCpuMs, postmasterPid, printJson, printTable, round, treeCpuMs } from "./lib/report";

const CASES = Number(process.env.BENCH_CASES ?? 100);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const JUDGE = process.env.BENCH_JUDGE !== "0";

process.env.LOG_LEVEL ??= "warn";
process.env.CHORUS_MASTER_KEY ??= randomBytes(32).toString("base64");
process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");
process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = process.env.BENCH_TOKEN_DELAY_MS ?? "1";
// The experiment's concurrency, not the team's default limit, decides how many cases run at once.
process.env.CHORUS_TEAM_MAX_PARALLEL ??= String(Math.max(16, CONCURRENCY));
delete process.env.OPENAI_BASE_URL;
delete process.env.OPENAI_API_KEY;
delete process.env.ANTHROPIC_API_KEY;
delete process.env.CHORUS_URL;

const TOPICS = [
  "heat pumps",
  "cargo bikes",
  "community gardens",
  "tide tables",
  "canal locks",
  "rooftop solar",
  "school meals",
  "bus lanes",
];
const promptFor = (index: number) =>
  `Research ${TOPICS[index % TOPICS.length]} in town ${index}, then analyse the costs and summarise the findings.`;

/** CPU (ms) of the profile's samples whose stack holds a frame of the experiment's own code. */
function evalCodeCpuMs(profile: CpuProfile): number {
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const ours = (url: string) => url.includes("/server/evals/") || url.includes("/inngest/functions/eval-experiment");
  const memo = new Map<number, boolean>();
  const inEvalCode = (id: number): boolean => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const up = parent.get(id);
    const answer = node !== undefined && (ours(node.callFrame.url) || (up !== undefined && inEvalCode(up)));
    memo.set(id, answer);
    return answer;
  };
  let micros = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // timeDeltas[i] is the time before sample i; the sample's own time is the next delta.
  for (let index = 0; index < samples.length; index++) if (inEvalCode(samples[index]!)) micros += deltas[index + 1] ?? 0;
  return micros / 1000;
}

// Local mode runs from the project root, as bin/chorus.mjs does: Chorus finds its migrations from
// there, when server/db/migrate.ts is first loaded (so before ./lib/postgres loads it).
process.chdir(REPO_ROOT);
const { startBenchPostgres } = await import("./lib/postgres");
const postgres = await startBenchPostgres();
let exitCode = 0;
try {
  process.env.DATABASE_URL = await postgres.createChorusDatabase("chorus_evals");
  const { getDb, getPool } = await import("../server/db/client");
  const { createTask } = await import("../server/tasks/tasks");
  const { startLocalChorus } = await import("../server/cli/local-chorus");
  const { EvalsApiClient } = await import("../server/cli/evals-api-client");
  const pgPid = postmasterPid(postgres.dataDir);
  const pgCpuMs = () => (pgPid ? treeCpuMs(pgPid) : NaN);

  const db = getDb();
  const team = await db.team.create({ data: { slug: "evals", name: "Evals bench" } });
  const user = await db.user.create({ data: { email: "evals@bench.dev" } });
  await db.membership.create({ data: { teamId: team.id, userId: user.id, role: "admin" } });
  const admin = { teamId: team.id, userId: user.id, role: "admin" as const };

  const { createDataset } = await import("../server/evals/datasets");
  const dataset = await createDataset(admin, {
    name: "bench",
    cases: Array.from({ length: CASES }, (_, index) => ({
      key: `case-${index}`,
      prompt: promptFor(index),
      expected: {
        contains: [TOPICS[index % TOPICS.length]!],
        matches: ["cost"],
        reference: `A summary of ${TOPICS[index % TOPICS.length]}: the research found the costs, the analysis weighed them.`,
        rubric: `Covers ${TOPICS[index % TOPICS.length]}.\nWeighs the costs.`,
        maxCostUsd: 1,
        maxTokens: 100_000,
        maxDurationMs: 600_000,
      },
    })),
  });

  const local = await startLocalChorus({ teamSlug: team.slug, keyLifetimeMs: 3_600_000 });
  const api = new EvalsApiClient(local.url, local.apiKey);
  const finished = ["completed", "failed", "cancelled", "budget_exceeded", "rejected", "timed_out"];
  const until = async (check: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 30 * 60_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what}: not done after 30 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  // Warm-up: one task, so module loading and first-query plans are outside both measurements.
  const warm = await createTask(admin, { prompt: promptFor(CASES + 1), cache: false });
  await until(async () => {
    const { rows } = await getPool().query<{ status: string }>(`SELECT status::text FROM "Task" WHERE id = $1`, [warm.id]);
    return finished.includes(rows[0]!.status);
  }, "warm-up task");

  // Baseline: the same prompts, one task at a time.
  const sequential = { startedAt: performance.now(), cpu: nodeCpuMs(), pg: pgCpuMs(), wallMs: 0, cpuMs: 0, pgMs: 0 };
  for (let index = 0; index < CASES; index++) {
    const task = await createTask(admin, { prompt: promptFor(index), cache: false });
    await until(async () => {
      const { rows } = await getPool().query<{ status: string }>(`SELECT status::text FROM "Task" WHERE id = $1`, [task.id]);
      return finished.includes(rows[0]!.status);
    }, `sequential task ${index}`);
  }
  sequential.wallMs = performance.now() - sequential.startedAt;
  sequential.cpuMs = nodeCpuMs() - sequential.cpu;
  sequential.pgMs = pgCpuMs() - sequential.pg;

  const executorRows = async () => {
    const { rows } = await getPool().query<{ runs: string; steps: string }>(
      `SELECT count(DISTINCT r.id) AS runs, count(s."stepId") AS steps
       FROM "WorkflowRun" r LEFT JOIN "WorkflowStep" s ON s."runId" = r.id WHERE r."functionId" LIKE '%eval%'`,
      [],
    );
    return { runs: Number(rows[0]!.runs), steps: Number(rows[0]!.steps) };
  };

  /** Starts an experiment of every case and waits (25 ms database poll) for it to end. */
  async function runExperiment(name: string, scorers: Record<string, number>) {
    const started = await api.startExperiment({
      datasetId: dataset.id,
      name,
      config: { scorers, concurrency: CONCURRENCY, tools: true, cache: false },
    });
    await until(async () => {
      const { rows } = await getPool().query<{ status: string }>(`SELECT status::text FROM "EvalExperiment" WHERE id = $1`, [started.id]);
      return !["queued", "running"].includes(rows[0]!.status);
    }, name);
    return api.getExperiment(started.id);
  }

  /**
   * One experiment of every case, twice: unprofiled for wall time, CPU and executor rows (the
   * profiler's sampling costs CPU of its own), then under the CPU profiler for the eval code's share.
   */
  async function measureExperiment(name: string, scorers: Record<string, number>) {
    const rowsBefore = await executorRows();
    const cpu = nodeCpuMs();
    const pg = pgCpuMs();
    const startedAt = performance.now();
    const experiment = await runExperiment(name, scorers);
    const wallMs = performance.now() - startedAt;
    const cpuMs = nodeCpuMs() - cpu;
    const pgMs = pgCpuMs() - pg;
    const rowsAfter = await executorRows();
    const { profile } = await profileWhile(() => runExperiment(`${name} (profiled)`, scorers));
    return {
      experiment,
      wallMs,
      cpuMs,
      pgMs,
      evalCodeMs: evalCodeCpuMs(profile),
      executorRuns: rowsAfter.runs - rowsBefore.runs,
      executorSteps: rowsAfter.steps - rowsBefore.steps,
    };
  }

  const deterministic = await measureExperiment("deterministic + similarity", { judge: 0 });
  const judged = JUDGE
    ? await measureExperiment("judge only", { contains: 0, regex: 0, cost: 0, tokens: 0, latency: 0, similarity: 0, judge: 1 })
    : undefined;
  await local.stop();
  const judgement = judged?.experiment.results[0]?.scores.find((scored) => scored.scorer === "judge");
  if (judgement)
    console.log(`The offline judge on ${judged!.experiment.results[0]!.caseKey}: ${judgement.score} — ${judgement.explanation}`);

  const perCase = (ms: number) => round(ms / CASES, 2);
  const rowFor = (label: string, run: Awaited<ReturnType<typeof measureExperiment>>) => [
    label,
    run.experiment.status,
    round(run.wallMs / 1000, 1),
    round(sequential.wallMs / run.wallMs, 2),
    perCase(run.evalCodeMs),
    perCase(run.cpuMs - sequential.cpuMs),
    perCase(run.pgMs - sequential.pgMs),
    round((run.executorRuns + run.executorSteps) / CASES, 2),
    round(run.experiment.aggregate.meanScore ?? NaN, 3),
  ];
  printTable(
    `Evals: ${CASES} cases on the offline model (${process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS} ms a token), experiment concurrency ${CONCURRENCY}; ` +
      `baseline: the same tasks one by one, ${round(sequential.wallMs / 1000, 1)} s, ${perCase(sequential.cpuMs)} ms CPU a task (+ ${perCase(sequential.pgMs)} ms Postgres)`,
    [
      "experiment",
      "status",
      "wall s",
      "speed-up",
      "eval code CPU ms/case",
      "process CPU Δ ms/case",
      "Postgres CPU Δ ms/case",
      "executor rows/case",
      "mean score",
    ],
    [rowFor("deterministic + similarity", deterministic), ...(judged ? [rowFor("judge only", judged)] : [])],
  );
  console.log(
    "eval code CPU: profile samples (200 µs) whose stack holds server/evals/ or the experiment function — scoring, its steps' bodies, its queries' JS; " +
      "Δ: the experiment's CPU minus the sequential baseline's for the same tasks (can be negative: parallel tasks share work). " +
      "executor rows: WorkflowRun + WorkflowStep rows of the experiment's run(s), not the tasks'.",
  );
  console.log(
    `load: ${(await import("node:os"))
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(" ")}`,
  );
  const jsonOf = (run: Awaited<ReturnType<typeof measureExperiment>>) => ({
    status: run.experiment.status,
    wallSeconds: round(run.wallMs / 1000, 2),
    speedUp: round(sequential.wallMs / run.wallMs, 2),
    evalCodeCpuMsPerCase: perCase(run.evalCodeMs),
    processCpuDeltaMsPerCase: perCase(run.cpuMs - sequential.cpuMs),
    postgresCpuDeltaMsPerCase: perCase(run.pgMs - sequential.pgMs),
    executorRowsPerCase: round((run.executorRuns + run.executorSteps) / CASES, 2),
    meanScore: run.experiment.aggregate.meanScore,
    passRate: run.experiment.aggregate.passRate,
  });
  printJson({
    benchmark: "evals",
    cases: CASES,
    concurrency: CONCURRENCY,
    tokenDelayMs: Number(process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS),
    sequentialSeconds: round(sequential.wallMs / 1000, 2),
    sequentialCpuMsPerTask: perCase(sequential.cpuMs),
    deterministic: jsonOf(deterministic),
    judge: judged ? jsonOf(judged) : null,
    machine: machine(),
  });
  if (deterministic.experiment.status !== "completed" || (judged && judged.experiment.status !== "completed")) exitCode = 1;
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  const { closeDb } = await import("../server/db/client");
  await closeDb().catch(() => undefined);
  await postgres.stop();
}
process.exit(exitCode);
