import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { getDb, getPool } from "@/server/db/client";
import { MIGRATIONS_DIR } from "@/server/db/migrate";

describe("the migrated database", () => {
  it("stores and reads a team through the generated Prisma client", async () => {
    const db = getDb();
    const team = await db.team.create({ data: { slug: "acme", name: "Acme" } });
    const found = await db.team.findUnique({ where: { slug: "acme" } });
    expect(found?.id).toBe(team.id);
  });

  it("records every migration the way prisma migrate deploy does", async () => {
    const { rows } = await getPool().query(
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    const onDisk = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(rows.map((row) => row.migration_name)).toEqual(onDisk);
    for (const row of rows) {
      const sql = readFileSync(path.join(MIGRATIONS_DIR, row.migration_name, "migration.sql"));
      expect(row.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
      expect(row.finished_at).not.toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("applies nothing twice", async () => {
    const { migrate } = await import("@/server/db/migrate");
    const result = await migrate(process.env.DATABASE_URL!);
    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied.length).toBeGreaterThan(0);
  });
});
