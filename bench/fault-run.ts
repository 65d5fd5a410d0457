/**
 * Benchmark 4 — fault run.
 *
 * Starts Chorus, submits 50 tasks (offline model with a small token delay so tasks take a
 * few seconds), SIGKILLs the server at random moments 20 times — restarting it each time
 * (the embedded Postgres survives a SIGKILL and the next start adopts it) — then waits for
 * every task to finish and audits the database:
 *   - tasks by final status;
 *   - duplicate executions: more than one completed AgentExecution for one (task, plan step),
 *     more than one workflow run for one task or one (task, plan step);
 *   - steps executed again, from the run-event log: an agent step whose `agent.started` (or
 *     a task whose `task.planned` / `task.completed`) appears more than once. Each repeat is
 *     classified against the moment the step's result became durable (its WorkflowStep row's
 *     createdAt): a repeat before that is a step that was in flight at a kill and legitimately
 *     ran again; a repeat after it is a completed step executed again (must be 0).
 *
 *   bash bench/run.sh fault
 * The server is up for 300–1500 ms between kills (plus its ~3 s start-up), so that all 20 kills
 * land while tasks are still running; the table says how many did.
 *
 *   env: BENCH_TASKS (50), BENCH_KILLS (20), BENCH_TOKEN_DELAY_MS (10), BENCH_KILL_MIN_MS (300),
 *        BENCH_KILL_MAX_MS (1500), BENCH_FINISH_TIMEOUT_S (600), BENCH_SEED, BENCH_KEEP
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { machine, postmasterPid, printJson, printTable, round, sleep } from "./lib/report";
import { ApiClient, ChorusServer, createApiKey, liftRateLimits, freePort, makeDataDir } from "./lib/server";

const TASKS = Number(process.env.BENCH_TASKS ?? 50);
const KILLS = Number(process.env.BENCH_KILLS ?? 20);
const TOKEN_DELAY_MS = Number(process.env.BENCH_TOKEN_DELAY_MS ?? 10);
const KILL_MIN_MS = Number(process.env.BENCH_KILL_MIN_MS ?? 300);
const KILL_MAX_MS = Number(process.env.BENCH_KILL_MAX_MS ?? 1500);
const FINISH_TIMEOUT_S = Number(process.env.BENCH_FINISH_TIMEOUT_S ?? 600);
let seed = Number(process.env.BENCH_SEED ?? Date.now() % 2147483647);
const SEED = seed;

/** Deterministic given BENCH_SEED, so a surprising run can be replayed. */
function random() {
  seed = (seed * 48271) % 2147483647;
  return seed / 2147483647;
}

const FINAL = ["completed", "failed", "cancelled", "rejected", "expired"];

async function taskCounts(db: pg.Client) {
  const { rows } = await db.query<{ status: string; n: string }>(`SELECT status::text AS status, count(*) AS n FROM "Task" GROUP BY 1`);
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)])) as Record<string, number>;
}

async function audit(db: pg.Client, killTimes: Date[]) {
  const one = async <T extends Record<string, unknown>>(sql: string, values: unknown[] = []) => (await db.query<T>(sql, values)).rows[0]!;
  // Kill moments as the database's timestamp(3) columns store time (UTC wall clock; same host clock).
  const kills = killTimes.map((time) => time.toISOString().replace("T", " ").replace("Z", ""));
  // Agent steps: agent.started events per (task, step), classified against the step's durable result.
  const agentRepeats = await one<{ repeats: string; inflight: string; after: string; steps: string; unexplained: string; durable: string }>(
    `
    WITH agent_runs AS (
      SELECT r."id" AS run_id, r."event"->'data'->>'taskId' AS task_id, r."event"->'data'->>'stepId' AS step_id
      FROM "WorkflowRun" r WHERE r."functionId" LIKE '%agent-%' AND r."parentRunId" IS NOT NULL
    ), durable AS (
      SELECT a.task_id, a.step_id, min(s."createdAt") AS done_at
      FROM agent_runs a JOIN "WorkflowStep" s ON s."runId" = a.run_id AND s."error" IS NULL
      GROUP BY 1, 2
    ), started AS (
      SELECT e."taskId" AS task_id, e."payload"->>'stepId' AS step_id, e."createdAt", e."seq",
             row_number() OVER (PARTITION BY e."taskId", e."payload"->>'stepId' ORDER BY e."seq") AS n,
             lag(e."createdAt") OVER (PARTITION BY e."taskId", e."payload"->>'stepId' ORDER BY e."seq") AS previous_at
      FROM "RunEvent" e WHERE e."type" = 'agent.started'
    )
    SELECT count(*) FILTER (WHERE s.n > 1) AS repeats,
           count(*) FILTER (WHERE s.n > 1 AND NOT EXISTS (
             SELECT 1 FROM unnest($1::timestamp[]) AS k(at) WHERE k.at BETWEEN s.previous_at AND s."createdAt")) AS unexplained,
           count(*) FILTER (WHERE s.n > 1 AND (d.done_at IS NULL OR s."createdAt" <= d.done_at)) AS inflight,
           count(*) FILTER (WHERE d.done_at IS NOT NULL AND s."createdAt" > d.done_at) AS after,
           count(*) FILTER (WHERE s.n = 1) AS steps,
           count(*) FILTER (WHERE s.n = 1 AND d.done_at IS NOT NULL) AS durable
    FROM started s LEFT JOIN durable d USING (task_id, step_id)`,
    [kills],
  );
  // Coordinator steps that emit an event from inside the step: plan (task.planned) and aggregate (task.completed).
  const coordinatorRepeats = await one<{ plan_repeats: string; plan_after: string; aggregate_repeats: string; aggregate_after: string }>(`
    WITH coord AS (
      SELECT r."id" AS run_id, r."event"->'data'->>'taskId' AS task_id
      FROM "WorkflowRun" r WHERE r."parentRunId" IS NULL AND r."functionId" LIKE '%coordinator%'
    ), durable AS (
      SELECT c.task_id, s."name", min(s."createdAt") AS done_at
      FROM coord c JOIN "WorkflowStep" s ON s."runId" = c.run_id
      WHERE s."name" IN ('plan', 'aggregate') GROUP BY 1, 2
    ), events AS (
      SELECT e."taskId" AS task_id, CASE e."type" WHEN 'task.planned' THEN 'plan' ELSE 'aggregate' END AS name, e."createdAt",
             row_number() OVER (PARTITION BY e."taskId", e."type" ORDER BY e."seq") AS n
      FROM "RunEvent" e WHERE e."type" IN ('task.planned', 'task.completed')
    )
    SELECT count(*) FILTER (WHERE e.name = 'plan' AND e.n > 1) AS plan_repeats,
           count(*) FILTER (WHERE e.name = 'plan' AND d.done_at IS NOT NULL AND e."createdAt" > d.done_at) AS plan_after,
           count(*) FILTER (WHERE e.name = 'aggregate' AND e.n > 1) AS aggregate_repeats,
           count(*) FILTER (WHERE e.name = 'aggregate' AND d.done_at IS NOT NULL AND e."createdAt" > d.done_at) AS aggregate_after
    FROM events e LEFT JOIN durable d USING (task_id, name)`);
  const executions = await one<{ rows: string; steps: string; completed_dupes: string; extra_attempts: string }>(`
    SELECT count(*) AS rows,
           count(DISTINCT ("taskId", "stepKey")) AS steps,
           (SELECT count(*) FROM (SELECT 1 FROM "AgentExecution" WHERE status::text = 'completed'
                                  GROUP BY "taskId", "stepKey" HAVING count(*) > 1) x) AS completed_dupes,
           count(*) - count(DISTINCT ("taskId", "stepKey")) AS extra_attempts
    FROM "AgentExecution"`);
  const runs = await one<{ coordinator_dupes: string; agent_dupes: string; runs: string; steps: string }>(`
    SELECT (SELECT count(*) FROM (SELECT 1 FROM "WorkflowRun" WHERE "parentRunId" IS NULL AND "functionId" LIKE '%coordinator%'
                                   GROUP BY "event"->'data'->>'taskId' HAVING count(*) > 1) x) AS coordinator_dupes,
           (SELECT count(*) FROM (SELECT 1 FROM "WorkflowRun" WHERE "functionId" LIKE '%agent-%'
                                   GROUP BY "event"->'data'->>'taskId', "event"->'data'->>'stepId' HAVING count(*) > 1) x) AS agent_dupes,
           (SELECT count(*) FROM "WorkflowRun") AS runs,
           (SELECT count(*) FROM "WorkflowStep") AS steps`);
  // Completed tasks whose every plan step has a completed execution (or reused output).
  const incomplete = await one<{ n: string }>(`
    SELECT count(*) AS n FROM "Task" t
    WHERE t.status::text = 'completed'
      AND jsonb_array_length(COALESCE(t.plan->'steps', '[]'::jsonb)) >
          (SELECT count(DISTINCT "stepKey") FROM "AgentExecution" a WHERE a."taskId" = t.id AND a.status::text = 'completed')`);
  return {
    agentSteps: Number(agentRepeats.steps),
    agentStepsDurable: Number(agentRepeats.durable),
    agentStepRepeats: Number(agentRepeats.repeats),
    agentStepRepeatsInFlight: Number(agentRepeats.inflight),
    agentStepRepeatsAfterDurable: Number(agentRepeats.after),
    agentStepRepeatsWithoutKill: Number(agentRepeats.unexplained),
    planRepeats: Number(coordinatorRepeats.plan_repeats),
    planRepeatsAfterDurable: Number(coordinatorRepeats.plan_after),
    aggregateRepeats: Number(coordinatorRepeats.aggregate_repeats),
    aggregateRepeatsAfterDurable: Number(coordinatorRepeats.aggregate_after),
    executionRows: Number(executions.rows),
    executionSteps: Number(executions.steps),
    extraAttemptRows: Number(executions.extra_attempts),
    duplicateCompletedExecutions: Number(executions.completed_dupes),
    duplicateCoordinatorRuns: Number(runs.coordinator_dupes),
    duplicateAgentRuns: Number(runs.agent_dupes),
    workflowRuns: Number(runs.runs),
    workflowSteps: Number(runs.steps),
    completedTasksMissingSteps: Number(incomplete.n),
  };
}

async function main() {
  const dataDir = await makeDataDir("chorus-bench-fault-");
  const logFile = path.join(dataDir, "server.log");
  const server = new ChorusServer({ dataDir, port: await freePort(), offlineTokenDelayMs: TOKEN_DELAY_MS, logFile });
  let api: ApiClient | undefined;
  let db: pg.Client | undefined;
  const started = performance.now();
  try {
    console.error(`fault-run: starting Chorus (log: ${logFile}; seed ${SEED})…`);
    await server.start();
    liftRateLimits(dataDir);
    api = new ApiClient(server.baseUrl, createApiKey(dataDir), 16);
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < TASKS) {
          const index = next++;
          const created = await api!.request<{ id: string }>("POST", "/api/v1/tasks", {
            prompt: `Fault run task ${index}: compare heat pumps and gas boilers for a small office`,
          });
          if (created.status !== 201) throw new Error(`POST /api/v1/tasks → ${created.status}: ${JSON.stringify(created.body)}`);
          ids.push(created.body.id);
        }
      }),
    );
    api.close();
    api = undefined;
    const settings = JSON.parse(readFileSync(path.join(dataDir, "postgres.json"), "utf8")) as { port: number; password: string };
    db = new pg.Client({ host: "127.0.0.1", port: settings.port, user: "postgres", password: settings.password, database: "chorus" });
    await db.connect();
    db.on("error", () => undefined);

    console.error(`fault-run: ${ids.length} tasks submitted; killing the server ${KILLS} times at random moments…`);
    const kills: { afterMs: number; unfinished: number; restartMs: number }[] = [];
    const killTimes: Date[] = [];
    for (let i = 0; i < KILLS; i++) {
      const wait = KILL_MIN_MS + random() * (KILL_MAX_MS - KILL_MIN_MS);
      await sleep(wait);
      const counts = await taskCounts(db);
      const unfinished = Object.entries(counts)
        .filter(([status]) => !FINAL.includes(status))
        .reduce((sum, [, n]) => sum + n, 0);
      killTimes.push(new Date());
      await server.kill();
      const restartStarted = performance.now();
      await server.start();
      kills.push({ afterMs: Math.round(wait), unfinished, restartMs: Math.round(performance.now() - restartStarted) });
      console.error(
        `  kill ${i + 1}/${KILLS} after ${Math.round(wait)} ms (${unfinished} tasks unfinished); restarted in ${kills.at(-1)!.restartMs} ms`,
      );
    }

    console.error("fault-run: waiting for every task to finish…");
    const finishStarted = performance.now();
    let counts = await taskCounts(db);
    while (performance.now() - finishStarted < FINISH_TIMEOUT_S * 1000) {
      counts = await taskCounts(db);
      if (Object.entries(counts).every(([status]) => FINAL.includes(status))) break;
      await sleep(1000);
    }
    const finishSeconds = (performance.now() - finishStarted) / 1000;
    const finished = Object.entries(counts)
      .filter(([status]) => FINAL.includes(status))
      .reduce((sum, [, n]) => sum + n, 0);
    const result = await audit(db, killTimes);

    const ok = (value: boolean) => (value ? "yes" : "NO");
    const killedWithWork = kills.filter((kill) => kill.unfinished > 0).length;
    printTable(
      `Fault run: ${ids.length} tasks, ${KILLS} SIGKILLs at random moments (${KILL_MIN_MS}–${KILL_MAX_MS} ms after each start), token delay ${TOKEN_DELAY_MS} ms, seed ${SEED}`,
      ["measure", "value", "target", "met"],
      [
        ["tasks finished", `${finished} / ${ids.length}`, `${ids.length}`, ok(finished === ids.length)],
        [
          "  by status",
          Object.entries(counts)
            .map(([status, n]) => `${status} ${n}`)
            .join(", "),
          null,
          null,
        ],
        ["kills that hit unfinished tasks", `${killedWithWork} / ${KILLS}`, null, null],
        [
          "duplicate executions (completed AgentExecution per step > 1)",
          result.duplicateCompletedExecutions,
          "0",
          ok(result.duplicateCompletedExecutions === 0),
        ],
        [
          "duplicate workflow runs (per task / per plan step)",
          `${result.duplicateCoordinatorRuns} / ${result.duplicateAgentRuns}`,
          "0",
          ok(result.duplicateCoordinatorRuns + result.duplicateAgentRuns === 0),
        ],
        [
          "completed steps executed again",
          result.agentStepRepeatsAfterDurable + result.planRepeatsAfterDurable + result.aggregateRepeatsAfterDurable,
          "0",
          ok(result.agentStepRepeatsAfterDurable + result.planRepeatsAfterDurable + result.aggregateRepeatsAfterDurable === 0),
        ],
        ["agent steps (distinct / with a stored result)", `${result.agentSteps} / ${result.agentStepsDurable}`, null, null],
        ["agent steps re-executed (in flight at a kill)", result.agentStepRepeatsInFlight, "allowed", null],
        [
          "  of which with no kill since the previous start",
          result.agentStepRepeatsWithoutKill,
          "0",
          ok(result.agentStepRepeatsWithoutKill === 0),
        ],
        ["plan steps re-executed (all / after durable)", `${result.planRepeats} / ${result.planRepeatsAfterDurable}`, null, null],
        [
          "aggregate steps re-executed (all / after durable)",
          `${result.aggregateRepeats} / ${result.aggregateRepeatsAfterDurable}`,
          null,
          null,
        ],
        ["extra AgentExecution rows (retry attempts)", result.extraAttemptRows, null, null],
        ["completed tasks missing a step's execution", result.completedTasksMissingSteps, "0", ok(result.completedTasksMissingSteps === 0)],
        ["time to finish after the last kill (s)", round(finishSeconds, 1), null, null],
        [
          "mean restart to healthy (s)",
          round(kills.reduce((sum, kill) => sum + kill.restartMs, 0) / Math.max(1, kills.length) / 1000, 1),
          null,
          null,
        ],
        ["total wall time (s)", round((performance.now() - started) / 1000, 0), null, null],
      ],
    );
    if (killedWithWork < KILLS) {
      console.log(
        `note: ${KILLS - killedWithWork} kill(s) found every task already finished; raise BENCH_TOKEN_DELAY_MS or lower BENCH_KILL_MAX_MS for a harsher run\n`,
      );
    }
    const allMet =
      finished === ids.length &&
      result.duplicateCompletedExecutions === 0 &&
      result.duplicateCoordinatorRuns + result.duplicateAgentRuns === 0 &&
      result.agentStepRepeatsWithoutKill === 0 &&
      result.agentStepRepeatsAfterDurable + result.planRepeatsAfterDurable + result.aggregateRepeatsAfterDurable === 0;
    printJson({
      benchmark: "fault-run",
      machine: machine(),
      params: { tasks: ids.length, kills: KILLS, tokenDelayMs: TOKEN_DELAY_MS, killMinMs: KILL_MIN_MS, killMaxMs: KILL_MAX_MS, seed: SEED },
      finished,
      statuses: counts,
      killsWithUnfinishedTasks: killedWithWork,
      ...result,
      finishSeconds: round(finishSeconds, 1),
      targetsMet: allMet,
    });
  } finally {
    api?.close();
    await db?.end().catch(() => undefined);
    await server.stop().catch(() => undefined);
    // Safety net: if Postgres outlived the server (e.g. the last start failed), stop it.
    const pid = postmasterPid(dataDir);
    if (pid && existsSync(path.join(dataDir, "pg", "postmaster.pid"))) {
      try {
        process.kill(pid, "SIGINT");
        await sleep(2000);
      } catch {
        /* already gone */
      }
    }
    if (process.env.BENCH_KEEP) console.error(`kept ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error("fault-run failed:", error);
    process.exit(1);
  },
);
