import { randomBytes } from "node:crypto";
import { getDb } from "@/server/db/client";
import type { Env } from "@/server/env";
import { logger } from "@/server/observability/logger";
import { createTeam, createUserInTeam } from "./teams";

/**
 * First run: an empty database gets a team and an admin, from CHORUS_ADMIN_EMAIL /
 * CHORUS_ADMIN_PASSWORD or generated and printed once (never logged as a field, never stored
 * in clear). Later runs do nothing.
 */
export async function bootstrapFirstRun(env: Env, print: (line: string) => void = console.log) {
  const db = getDb();
  if ((await db.user.count()) > 0) return undefined;
  const email = env.CHORUS_ADMIN_EMAIL ?? "admin@chorus.local";
  const generated = !env.CHORUS_ADMIN_PASSWORD;
  const password = env.CHORUS_ADMIN_PASSWORD ?? randomBytes(12).toString("base64url");
  const slug = env.CHORUS_TEAM_NAME.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).padEnd(3, "0");
  const team = (await db.team.findUnique({ where: { slug } })) ?? (await createTeam({ slug, name: env.CHORUS_TEAM_NAME }));
  await createUserInTeam({ email, password, teamId: team.id, role: "admin", name: "Admin" });
  logger.info("first run: created team and admin", { team: team.slug, email });
  if (generated) {
    print("");
    print("  Chorus created your first admin account (shown only this once):");
    print(`    email:    ${email}`);
    print(`    password: ${password}`);
    print("  Set CHORUS_ADMIN_EMAIL / CHORUS_ADMIN_PASSWORD before the first start to choose them.");
    print("");
  }
  return { teamId: team.id, email };
}
