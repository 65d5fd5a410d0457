import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { withDatabase } from "@/server/db/url";

/**
 * `chorus migrate`, what deploy/k8s/migration-job.yaml runs before a release: on an empty database
 * it applies every migration in prisma/migrations and records each as Prisma does; run again, it
 * applies nothing and says the database is up to date.
 */
const adminUrl = withDatabase(process.env.DATABASE_URL!, "postgres");
const name = `chorus_migrate_${randomBytes(4).toString("hex")}`;
const emptyDatabaseUrl = withDatabase(process.env.DATABASE_URL!, name);

async function onAdmin(sql: string) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

afterAll(() => onAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));

function chorusMigrate() {
  const result = spawnSync("node", ["bin/chorus.mjs", "migrate"], {
    env: { ...process.env, DATABASE_URL: emptyDatabaseUrl, LOG_LEVEL: "warn" },
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("chorus migrate", () => {
  it("applies every pending migration once, then reports the database up to date", async () => {
    await onAdmin(`CREATE DATABASE ${name}`);
    const migrations = readdirSync("prisma/migrations", { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();

    const first = chorusMigrate();
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const applied = first.stdout.split("\n").filter((line) => /^Applied \d{14}_/.test(line));
    expect(applied).toEqual(migrations.map((migration) => `Applied ${migration}`));
    expect(first.stdout).toContain(`Applied ${migrations.length} migrations; 0 were applied before.`);

    const client = new pg.Client({ connectionString: emptyDatabaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ migration_name: string }>(
        `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY migration_name`,
      );
      expect(rows.map((row) => row.migration_name)).toEqual(migrations);
      // The schema is there: a table of the first migration and one of the latest answer.
      await client.query(`SELECT count(*) FROM "Task"`);
    } finally {
      await client.end();
    }

    const second = chorusMigrate();
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe(`The database is up to date (${migrations.length} migrations applied before).`);
  });

  it("is listed in the CLI's usage", () => {
    const help = spawnSync("node", ["bin/chorus.mjs", "help"], { encoding: "utf8" });
    expect(help.stdout).toMatch(/^ {2}chorus migrate$/m);
  });
});
