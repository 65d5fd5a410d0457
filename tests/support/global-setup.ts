import { mkdtemp, rm, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "@/server/db/embedded";
import { migrate } from "@/server/db/migrate";
import { withDatabase } from "@/server/db/url";

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabaseUrl: string;
  }
}

/**
 * One real Postgres for the whole run (embedded, in a temp dir), migrated once into a
 * template database; tests/support/database-per-file.ts clones it for every test file.
 */
export default async function setup(project: TestProject) {
  const dataDir = await mkdtemp(path.join(tmpdir(), "chorus-test-"));
  await chmod(dataDir, 0o755);
  process.env.LOG_LEVEL ??= "warn";
  const postgres = await startEmbeddedPostgres({ dataDir, ownsCluster: true });
  const templateUrl = withDatabase(postgres.url, "chorus_template");
  const pg = await import("pg");
  const admin = new pg.default.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query("DROP DATABASE IF EXISTS chorus_template");
  await admin.query("CREATE DATABASE chorus_template");
  await admin.end();
  await migrate(templateUrl);
  project.provide("templateDatabaseUrl", templateUrl);
  return async () => {
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
