import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, inject } from "vitest";
import { withDatabase } from "@/server/db/url";

/**
 * Gives every test file its own database, cloned from the migrated template (fast: a file
 * copy inside Postgres), and points DATABASE_URL at it before any Chorus module reads it.
 */
const templateUrl = inject("templateDatabaseUrl");
const name = `chorus_test_${randomBytes(4).toString("hex")}`;
const adminUrl = withDatabase(templateUrl, "postgres");

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name} TEMPLATE chorus_template`);
await admin.end();

process.env.DATABASE_URL = withDatabase(templateUrl, name);
process.env.LOG_LEVEL ??= "warn";
// Secrets at rest need a master key; without one Chorus would generate master.key in ./.data.
process.env.CHORUS_MASTER_KEY ??= randomBytes(32).toString("base64");

afterAll(async () => {
  const { closeDb } = await import("@/server/db/client");
  await closeDb();
  const cleanup = new pg.Client({ connectionString: adminUrl });
  await cleanup.connect();
  await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await cleanup.end();
});
