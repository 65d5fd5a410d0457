import { describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { parseEnv } from "@/server/env";
import { verifyPassword } from "@/server/auth/password";
import { bootstrapFirstRun } from "@/server/teams/bootstrap";

describe("first run", () => {
  it("creates a team and an admin with a generated password printed once, then never again", async () => {
    const printed: string[] = [];
    const created = await bootstrapFirstRun(parseEnv({ CHORUS_TEAM_NAME: "Acme Labs" }), (line) => printed.push(line));
    expect(created).toBeDefined();
    const password = printed.join("\n").match(/password: (\S+)/)?.[1];
    expect(password).toBeDefined();

    const db = getDb();
    const admin = await db.user.findUniqueOrThrow({ where: { email: "admin@chorus.local" }, include: { memberships: { include: { team: true } } } });
    expect(admin.memberships[0]).toMatchObject({ role: "admin", team: { slug: "acme-labs", name: "Acme Labs" } });
    expect(await verifyPassword(password!, admin.passwordHash!)).toBe(true);

    const again: string[] = [];
    expect(await bootstrapFirstRun(parseEnv({}), (line) => again.push(line))).toBeUndefined();
    expect(again).toEqual([]);
    expect(await db.user.count()).toBe(1);
  });
});
