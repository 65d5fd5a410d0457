/**
 * One real Postgres for a benchmark run, started with Chorus's own embedded-postgres wrapper
 * in a temp dir, and one database per contestant on it (so catalog and table sizes never mix).
 */
import { mkdtemp, chmod, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../../server/db/embedded";
import { migrate } from "../../server/db/migrate";
import { REPO_ROOT } from "./paths";

export interface BenchPostgres {
  /** URL of the cluster's maintenance database. */
  url: string;
  dataDir: string;
  /** Creates (or recreates) an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Creates a database with Chorus's migrations applied. */
  createChorusDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export function databaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "chorus-bench-pg-"));
  await chmod(dataDir, 0o755);
  const postgres = await startEmbeddedPostgres({ dataDir, ownsCluster: true });
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  const createDatabase = async (name: string) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
    return databaseUrl(postgres.url, name);
  };
  let stopped = false;
  return {
    url: postgres.url,
    dataDir,
    createDatabase,
    async createChorusDatabase(name) {
      const url = await createDatabase(name);
      await migrate(url, path.join(REPO_ROOT, "prisma", "migrations"));
      return url;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await admin.end().catch(() => undefined);
      await postgres.stop();
      await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
