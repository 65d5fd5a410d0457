/**
 * What a task leaves in the database: runs BENCH_TASKS tasks (three agents, offline model) through
 * the REST API on a real server, then reads, for each table, the rows and bytes (table, indexes and
 * TOAST: pg_total_relation_size) added per task, and the whole database's growth per 1,000 tasks —
 * before and after retention prunes the run events and workflow state of finished tasks
 * (`chorus prune` with every retention at 0 days). The numbers docs/scaling.md sizes a disk with.
 *
 *   bash bench/run.sh storage
 *   env: BENCH_TASKS (300), BENCH_CLIENTS (8), BENCH_KEEP
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import type pg from "pg";
import { REPO_ROOT } from "./lib/paths";
import { machine, printJson, printTable, round, sleep } from "./lib/report";
import { ApiClient, ChorusServer, connectToServerDatabase, createApiKey, freePort, liftRateLimits, makeDataDir } from "./lib/server";

const TASKS = Number(process.env.BENCH_TASKS ?? 300);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);

interface TableSize {
  rows: number;
  bytes: number;
}

async function tableSizes(db: pg.Client): Promise<Map<string, TableSize>> {
  await db.query("VACUUM ANALYZE"); // settle dead tuples and the statistics the sizes rest on
  const { rows: tables } = await db.query<{ name: string; bytes: string }>(
    `SELECT c.relname AS name, pg_total_relation_size(c.oid)::text AS bytes FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'`,
  );
  const sizes = new Map<string, TableSize>();
  for (const table of tables) {
    const { rows } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${table.name}"`);
    sizes.set(table.name, { rows: Number(rows[0]!.n), bytes: Number(table.bytes) });
  }
  return sizes;
}

async function databaseBytes(db: pg.Client): Promise<number> {
  const { rows } = await db.query<{ bytes: string }>(`SELECT pg_database_size(current_database())::text AS bytes`);
  return Number(rows[0]!.bytes);
}

async function runTasks(client: ApiClient, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const created = await client.request<{ id: string }>("POST", "/api/v1/tasks", {
        prompt: `Research, analyse and summarise how city number ${index} runs its libraries.`,
      });
      if (created.status !== 201) throw new Error(`creating a task answered ${created.status}`);
      for (;;) {
        const task = await client.request<{ status: string }>("GET", `/api/v1/tasks/${created.body.id}`);
        if (task.body.status === "completed") break;
        if (["failed", "cancelled", "budget_exceeded"].includes(task.body.status)) throw new Error(`a task ended ${task.body.status}`);
        await sleep(50);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, worker));
}

function pruneNow(dataDir: string) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CHORUS_DATA_DIR: dataDir,
    CHORUS_RUN_EVENT_RETENTION_DAYS: "0",
    CHORUS_WORKFLOW_STATE_RETENTION_DAYS: "0",
    CHORUS_WEBHOOK_DELIVERY_RETENTION_DAYS: "0",
    LOG_LEVEL: "warn",
  };
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS;
  const pruned = spawnSync(process.execPath, [path.join(REPO_ROOT, "bin", "chorus.mjs"), "prune"], {
    cwd: REPO_ROOT,
    env,
    encoding: "utf8",
  });
  if (pruned.status !== 0) throw new Error(`chorus prune failed: ${pruned.stderr || pruned.stdout}`);
}

async function main() {
  const dataDir = await makeDataDir("chorus-bench-storage-");
  const server = new ChorusServer({ dataDir, port: await freePort(), offlineTokenDelayMs: 0, logFile: path.join(dataDir, "server.log") });
  let db: pg.Client | undefined;
  try {
    await server.start();
    const key = createApiKey(dataDir, "user");
    liftRateLimits(dataDir);
    db = await connectToServerDatabase(dataDir);
    const client = new ApiClient(server.baseUrl, key, CLIENTS);
    await runTasks(client, 5); // first-use rows (team settings, caches) are not the tasks'
    const before = await tableSizes(db);
    const beforeBytes = await databaseBytes(db);
    await runTasks(client, TASKS);
    client.close();
    const after = await tableSizes(db);
    const afterBytes = await databaseBytes(db);
    pruneNow(dataDir);
    const pruned = await tableSizes(db);
    const prunedBytes = await databaseBytes(db);

    const rows = [...after.entries()]
      .map(([name, size]) => {
        const start = before.get(name) ?? { rows: 0, bytes: 0 };
        const end = pruned.get(name) ?? size;
        return {
          name,
          rowsPerTask: (size.rows - start.rows) / TASKS,
          bytesPerTask: (size.bytes - start.bytes) / TASKS,
          rowsPerTaskPruned: (end.rows - start.rows) / TASKS,
        };
      })
      .filter((row) => row.rowsPerTask > 0 || row.bytesPerTask > 0)
      .sort((a, b) => b.bytesPerTask - a.bytesPerTask);
    printTable(
      `What ${TASKS} tasks (3 agents, offline model) added, per task`,
      ["table", "rows", "bytes (table + indexes + TOAST)", "rows left after retention (0 days)"],
      rows.map((row) => [row.name, round(row.rowsPerTask, 1), Math.round(row.bytesPerTask), round(row.rowsPerTaskPruned, 1)]),
    );
    const perThousand = ((afterBytes - beforeBytes) / TASKS) * 1000;
    const perThousandPruned = ((prunedBytes - beforeBytes) / TASKS) * 1000;
    console.log(
      `\nDatabase growth per 1,000 tasks: ${round(perThousand / 2 ** 20, 1)} MiB; after pruning events and workflow state, ` +
        `${round(perThousandPruned / 2 ** 20, 1)} MiB (Postgres reuses freed pages; the files shrink only with VACUUM FULL).`,
    );
    printJson({
      benchmark: "storage",
      machine: machine(),
      tasks: TASKS,
      rowsPerTask: round(
        rows.reduce((sum, row) => sum + row.rowsPerTask, 0),
        1,
      ),
      bytesPerTask: Math.round(rows.reduce((sum, row) => sum + row.bytesPerTask, 0)),
      mibPer1000Tasks: round(perThousand / 2 ** 20, 1),
      mibPer1000TasksAfterPrune: round(perThousandPruned / 2 ** 20, 1),
    });
  } finally {
    await db?.end().catch(() => {});
    await server.stop();
    if (!process.env.BENCH_KEEP) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
