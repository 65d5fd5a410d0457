import { execFileSync, spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "@/server/db/embedded";
import { restartDelayMs } from "@/server/db/embedded-supervision";
import { until } from "../support/executor-helpers";

/**
 * The embedded Postgres dies under a running Chorus (killed, or its disk fills up); Chorus logs
 * the exit at error level and starts it again, and the same pool serves statements again.
 */

const errorLines: Record<string, unknown>[] = [];
const originalStderr = process.stderr.write.bind(process.stderr);
const originalLevel = process.env.LOG_LEVEL;

beforeAll(() => {
  process.env.LOG_LEVEL = "warn";
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    for (const line of String(chunk).split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        errorLines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        /* not a log line */
      }
    }
    return (originalStderr as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
});

afterAll(() => {
  process.stderr.write = originalStderr;
  process.env.LOG_LEVEL = originalLevel;
});

let dataDir: string | undefined;
let postgres: EmbeddedPostgres | undefined;
let pool: pg.Pool | undefined;

async function startCluster(prepare?: (clusterDir: string) => Promise<void>) {
  errorLines.length = 0;
  const directory = await mkdtemp(path.join(tmpdir(), "chorus-restart-"));
  dataDir = directory;
  await chmod(directory, 0o755);
  await prepare?.(path.join(directory, "pg"));
  postgres = await startEmbeddedPostgres({ dataDir: directory, ownsCluster: true });
  pool = new pg.Pool({ connectionString: postgres.url, max: 4 });
  pool.on("error", () => undefined); // as server/db/client.ts does
  return pool;
}

/** The running postmaster's pid, from postmaster.pid in the cluster (undefined while none runs). */
async function postmasterPid(): Promise<number | undefined> {
  const pid = Number((await readFile(path.join(dataDir!, "pg", "postmaster.pid"), "utf8").catch(() => "")).split("\n")[0]);
  if (!pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** The restart's exit report, once logged. */
const exitReport = () => errorLines.find((line) => line.message === "embedded Postgres exited unexpectedly; starting it again");

/** Runs `statement` until it succeeds (a statement on a dead connection fails once, then the pool connects afresh). */
async function eventually(statement: string) {
  return until(
    () =>
      pool!.query<{ value: number }>(statement).then(
        (result) => result,
        () => undefined,
      ),
    60_000,
    `"${statement}" to succeed again`,
  );
}

afterEach(async () => {
  await pool?.end().catch(() => undefined);
  pool = undefined;
  await postgres?.stop();
  postgres = undefined;
  if (!dataDir) return;
  spawnSync("umount", ["-l", path.join(dataDir, "pg")]);
  await rm(dataDir, { recursive: true, force: true });
});

describe("the embedded Postgres under a running Chorus", () => {
  it("backs off from half a second to thirty seconds between tries", () => {
    expect([0, 1, 2, 3, 5, 6, 7, 40].map(restartDelayMs)).toEqual([500, 1000, 2000, 4000, 16_000, 30_000, 30_000, 30_000]);
  });

  it("is started again after kill -9, logged at error level, and the same pool answers again", async () => {
    const db = await startCluster();
    await db.query("CREATE TABLE kept (value int)");
    await db.query("INSERT INTO kept VALUES (42)");
    // Chorus's own pool and Prisma client, connected before the kill.
    const previousUrl = process.env.DATABASE_URL;
    process.env.DATABASE_URL = postgres!.url;
    const { getDb, closeDb } = await import("@/server/db/client");
    expect(await getDb().$queryRawUnsafe("SELECT value FROM kept")).toEqual([{ value: 42 }]);
    const killed = (await postmasterPid())!;
    process.kill(killed, "SIGKILL");
    // Killed and started again: another postmaster runs the cluster.
    const restarted = await until(
      async () => {
        const pid = await postmasterPid();
        return pid !== undefined && pid !== killed && pid;
      },
      60_000,
      "another postmaster",
    );

    const result = await eventually("SELECT value FROM kept");
    expect(result.rows).toEqual([{ value: 42 }]);
    expect(await postmasterPid()).toBe(restarted);
    const exit = exitReport();
    expect(exit).toMatchObject({ level: "error", signal: "SIGKILL", pid: killed });
    expect(Array.isArray(exit!.lastOutput)).toBe(true);
    // Prisma's connections to the dead process are dropped, and it answers again.
    const answer = await until(
      () =>
        getDb()
          .$queryRawUnsafe("SELECT value FROM kept")
          .catch(() => undefined),
      60_000,
      "Prisma",
    );
    expect(answer).toEqual([{ value: 42 }]);
    await closeDb();
    process.env.DATABASE_URL = previousUrl;
  });

  it("recovers by itself once space is freed after the disk filled up", async () => {
    // A small filesystem of its own under the data dir (needs root and mount; CI runs as root).
    let mounted = false;
    const db = await startCluster(async (clusterDir) => {
      await mkdir(clusterDir, { recursive: true });
      mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=96m,mode=0700", "tmpfs", clusterDir]).status === 0;
      if (mounted && process.getuid?.() === 0) execFileSync("chown", ["postgres:postgres", clusterDir]);
    });
    if (!mounted) {
      console.warn("skipped the full-disk case: could not mount a small tmpfs (it needs root)");
      return;
    }
    await db.query("CREATE TABLE filler (value text)");
    const clusterDir = path.join(dataDir!, "pg");
    // Take the rest of the space, then write until Postgres fails (a PANIC on the WAL ends the postmaster).
    const ballast = path.join(clusterDir, "ballast");
    spawnSync("dd", ["if=/dev/zero", `of=${ballast}`, "bs=1M", "count=200"], { stdio: "ignore" });
    // Writes fail, and once a new WAL segment cannot be made, Postgres PANICs, cannot recover
    // without space, and its postmaster exits.
    for (let round = 0; round < 200 && !exitReport(); round++) {
      await db.query("INSERT INTO filler SELECT repeat('x', 1000) FROM generate_series(1, 2000)").catch(() => undefined);
      await db.query("SELECT pg_switch_wal()").catch(() => undefined);
    }
    expect(exitReport()).toMatchObject({ level: "error" });
    // Down while the disk stays full: Chorus's database check fails (readiness answers 503).
    const previousUrl = process.env.DATABASE_URL;
    process.env.DATABASE_URL = postgres!.url;
    const { checkHealth } = await import("@/server/db/health");
    const { closeDb } = await import("@/server/db/client");
    try {
      expect((await checkHealth()).checks.database).toMatchObject({ status: "error" });

      await writeFile(ballast, ""); // free the space
      await rm(ballast);

      const result = await eventually("SELECT 1 AS value");
      expect(result.rows).toEqual([{ value: 1 }]);
      // The same process's pool answers again: no restart of Chorus.
      await until(async () => (await checkHealth()).status === "ok", 60_000, "the database check to pass");
    } finally {
      await closeDb();
      process.env.DATABASE_URL = previousUrl;
    }
    // Postgres's own PANIC line was surfaced at error level, not left at debug.
    expect(errorLines.some((line) => line.level === "error" && String(line.message).includes("No space left on device"))).toBe(true);
  });
});
