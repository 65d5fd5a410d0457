import { describe, expect, it } from "vitest";
import { getDb, getPool } from "@/server/db/client";

describe("the migrated database", () => {
  it("stores and reads a team through the generated Prisma client", async () => {
    const db = getDb();
    const team = await db.team.create({ data: { slug: "acme", name: "Acme" } });
    const found = await db.team.findUnique({ where: { slug: "acme" } });
    expect(found?.id).toBe(team.id);
  });

  it("records the init migration the way prisma migrate deploy does", async () => {
    const { rows } = await getPool().query(
      `SELECT migration_name, finished_at, applied_steps_count FROM "_prisma_migrations"`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].migration_name).toMatch(/_init$/);
    expect(rows[0].finished_at).not.toBeNull();
    expect(rows[0].applied_steps_count).toBe(1);
  });
});
