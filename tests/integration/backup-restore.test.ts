import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "@/server/db/embedded";
import { migrate } from "@/server/db/migrate";
import { createTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, THREE_AGENT_PROMPT, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";

/**
 * `chorus backup` of the embedded database while Chorus runs (tasks running, the executor
 * writing), then `chorus restore` into a scratch directory and Postgres started on it: the same
 * rows in every table and the same task results.
 */

let dataDir: string;
let scratch: string;
let source: EmbeddedPostgres;
const previousUrl = process.env.DATABASE_URL;

// This file's Chorus runs on an embedded cluster of its own, so the backup holds only its data.
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "chorus-backup-"));
  scratch = await mkdtemp(path.join(tmpdir(), "chorus-restored-"));
  await chmod(dataDir, 0o755);
  await chmod(scratch, 0o755);
  source = await startEmbeddedPostgres({ dataDir, ownsCluster: true });
  await migrate(source.url);
  process.env.DATABASE_URL = source.url;
});

useEmbeddedExecutor();

afterAll(async () => {
  const { closeDb } = await import("@/server/db/client");
  await closeDb();
  process.env.DATABASE_URL = previousUrl;
  await source.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

/** Runs the CLI against this file's data dir (no DATABASE_URL: the embedded database, adopted while it runs). */
function chorus(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CHORUS_DATA_DIR: dataDir, LOG_LEVEL: "warn" };
  delete env.DATABASE_URL;
  return new Promise((resolve) => {
    const child = spawn("node", ["bin/chorus.mjs", ...args], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += String(chunk)));
    child.stderr.on("data", (chunk) => (stderr += String(chunk)));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

interface Snapshot {
  counts: Record<string, number>;
  results: string;
  unlogged: string[];
}

/** Every table's row count and a checksum of every task's status and result. */
async function snapshot(url: string): Promise<Snapshot> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string; unlogged: boolean }>(
      `SELECT c.relname AS name, c.relpersistence = 'u' AS unlogged FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`,
    );
    const counts: Record<string, number> = {};
    for (const table of tables.rows) {
      if (table.unlogged) continue;
      counts[table.name] = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table.name}"`)).rows[0]!.n;
    }
    const results = await client.query<{ sum: string }>(
      `SELECT md5(coalesce(string_agg("id" || ':' || "status" || ':' || coalesce("output"::text, ''), ',' ORDER BY "id"), '')) AS sum FROM "Task"`,
    );
    return { counts, results: results.rows[0]!.sum, unlogged: tables.rows.filter((table) => table.unlogged).map((table) => table.name) };
  } finally {
    await client.end();
  }
}

let lastRestoreOutput = "";

/** Restores `file` into a new directory under the scratch dir and starts Postgres on it for `inspect`. */
async function restoreAndInspect<T>(file: string, name: string, inspect: (url: string) => Promise<T>): Promise<T> {
  const target = path.join(scratch, name);
  const restored = await chorus("restore", file, "--data-dir", target);
  expect(restored, restored.stderr).toMatchObject({ code: 0 });
  expect(restored.stdout).toMatch(/Restored the backup of .* into /);
  lastRestoreOutput = restored.stdout;
  const postgres = await startEmbeddedPostgres({ dataDir: target, ownsCluster: true });
  try {
    return await inspect(postgres.url);
  } finally {
    await postgres.stop();
  }
}

describe("chorus backup and chorus restore", () => {
  it("back up while a task runs, and restore a consistent copy: finished results intact, the running task's events whole", async () => {
    const { callers } = await createTeamWithMembers();
    const finished = [
      await createTask(callers.user, { prompt: THREE_AGENT_PROMPT }),
      await createTask(callers.user, { prompt: "Summarise tea." }),
    ];
    for (const task of finished) await waitForTaskStatus(task.id, ["completed"]);
    const finishedSnapshot = await snapshot(source.url);

    // A slow task: its agents stream while the backup copies the files.
    process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = "40";
    const running = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT });
    await waitForTaskStatus(running.id, ["running"]);
    const file = path.join(scratch, "while-running.chorus-backup");
    const backup = await chorus("backup", file);
    expect(backup, backup.stderr).toMatchObject({ code: 0 });
    expect(backup.stdout).toMatch(/Backed up the embedded database \(Postgres 18/);
    process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = "0";

    await restoreAndInspect(file, "while-running", async (url) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const tasks = await client.query<{ id: string; status: string; output: unknown }>(`SELECT "id", "status", "output" FROM "Task"`);
        for (const task of finished) {
          const copy = tasks.rows.find((row) => row.id === task.id);
          expect(copy).toMatchObject({ status: "completed" });
        }
        // A snapshot, not a torn copy: the running task's event log ends exactly at its lastSeq.
        const log = await client.query<{ lastSeq: number; events: number; maxSeq: number | null }>(
          `SELECT t."lastSeq", count(e.*)::int AS events, max(e."seq") AS "maxSeq" FROM "Task" t LEFT JOIN "RunEvent" e ON e."taskId" = t."id"
           WHERE t."id" = $1 GROUP BY t."lastSeq"`,
          [running.id],
        );
        expect(log.rows[0]!.events).toBe(log.rows[0]!.lastSeq);
        expect(log.rows[0]!.maxSeq ?? 0).toBe(log.rows[0]!.lastSeq);
        expect(log.rows[0]!.lastSeq).toBeGreaterThan(0);
      } finally {
        await client.end();
      }
      // The finished tasks' results, row for row.
      const restored = await snapshot(url);
      expect(restored.counts.Task).toBe(finishedSnapshot.counts.Task! + 1);
    });
    await waitForTaskStatus(running.id, ["completed"], 120_000);
  });

  it("restores every table's rows and every task's result exactly, from a backup taken while Chorus runs", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "Research lichens." });
    await waitForTaskStatus(task.id, ["completed"]);
    const before = await snapshot(source.url);
    // Secrets of the data dir stay out of backups (docs/secrets.md): the key apart from the data.
    await writeFile(path.join(dataDir, "master.key"), "not-a-real-key", { mode: 0o600 });
    await writeFile(path.join(dataDir, "auth-secret"), "not-a-real-secret", { mode: 0o600 });
    const file = path.join(scratch, "idle.chorus-backup");
    const backup = await chorus("backup", file);
    expect(backup).toMatchObject({ code: 0 });
    expect(backup.stdout).toContain("Left out of it: auth-secret, master.key");
    // Writes after the backup are not in it.
    const later = await createTask(callers.user, { prompt: "Research mosses." });
    await waitForTaskStatus(later.id, ["completed"]);

    const restored = await restoreAndInspect(file, "idle", snapshot);
    expect(existsSync(path.join(scratch, "idle", "postgres.json"))).toBe(true);
    expect(existsSync(path.join(scratch, "idle", "master.key"))).toBe(false);
    expect(existsSync(path.join(scratch, "idle", "auth-secret"))).toBe(false);
    expect(lastRestoreOutput).toContain("does not hold the master key");
    expect(restored.counts).toEqual(before.counts);
    expect(restored.results).toBe(before.results);
    expect(before.counts.Task).toBeGreaterThanOrEqual(4);
    expect(before.counts.RunEvent).toBeGreaterThan(0);
    expect(before.counts.WorkflowStep).toBeGreaterThan(0);
    // UNLOGGED tables (the rate-limit counters) come back empty: Postgres never copies them.
    expect(restored.unlogged).toEqual(["RateLimitCounter"]);
  });

  it("refuses clearly: an existing file, a file that is no backup, a data dir that is not empty", async () => {
    const existing = path.join(scratch, "exists.chorus-backup");
    await writeFile(existing, "keep me");
    const overwrite = await chorus("backup", existing);
    expect(overwrite.code).toBe(1);
    expect(overwrite.stderr).toContain("already exists");

    const notABackup = await chorus("restore", existing, "--data-dir", path.join(scratch, "from-garbage"));
    expect(notABackup.code).toBe(1);
    expect(notABackup.stderr).toContain("is not a Chorus backup");

    const occupied = path.join(scratch, "occupied");
    await mkdir(occupied);
    await writeFile(path.join(occupied, "something"), "");
    const notEmpty = await chorus("restore", path.join(scratch, "idle.chorus-backup"), "--data-dir", occupied);
    expect(notEmpty.code).toBe(1);
    expect(notEmpty.stderr).toContain("is not empty");

    const missing = await chorus("restore", path.join(scratch, "idle.chorus-backup"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--data-dir is required");
    expect(spawnSync("ls", [path.join(scratch, "from-garbage")]).status).not.toBe(0);
  });
});
