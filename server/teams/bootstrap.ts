import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { findTeamBySlug } from "@/server/db/queries/teams";
import { countUsers } from "@/server/db/queries/users";
import type { Env } from "@/server/env";
import { AppError } from "@/server/errors";
import { seedSampleKnowledge } from "@/server/knowledge/sample-knowledge";
import { logger } from "@/server/observability/logger";
import { createTeam, createUserInTeam } from "./teams";

/** Where a generated first admin password goes when no one watches the terminal. */
export const INITIAL_PASSWORD_FILE = "initial-admin-password";

export interface FirstRunOutput {
  print: (line: string) => void;
  /**
   * A person is watching the terminal (stdout is a TTY): the generated password is shown there,
   * once. Otherwise — a container, a process manager, output that ends up in logs — it is
   * written to a file in the data dir that only this user can read, and only its path is shown.
   */
  interactive: boolean;
}

const terminal = (): FirstRunOutput => ({ print: console.log, interactive: Boolean(process.stdout.isTTY) });

/**
 * First run: an empty database gets a team and an admin, from CHORUS_ADMIN_EMAIL /
 * CHORUS_ADMIN_PASSWORD or with a generated password that is never logged and never stored in
 * clear in the database; the team gets the sample knowledge base (server/knowledge/sample-knowledge.ts).
 * Later runs do nothing.
 */
export async function bootstrapFirstRun(env: Env, output: FirstRunOutput = terminal()) {
  if ((await countUsers()) > 0) return undefined;
  const email = env.CHORUS_ADMIN_EMAIL ?? "admin@chorus.local";
  const generated = !env.CHORUS_ADMIN_PASSWORD;
  const password = env.CHORUS_ADMIN_PASSWORD ?? randomBytes(12).toString("base64url");
  // Written before the account exists (so a password no one could read never guards it), and
  // put in place only once it does (so another process setting up the same database at the
  // same moment, whose admin wins, is not shown a password that does not work).
  const kept = generated && !output.interactive ? await keepPassword(env.CHORUS_DATA_DIR, email, password) : undefined;
  const slug = env.CHORUS_TEAM_NAME.toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .padEnd(3, "0");
  let file: string | undefined;
  let teamId: string;
  try {
    const team = await teamFor(slug, env.CHORUS_TEAM_NAME);
    teamId = team.id;
    await createUserInTeam({ email, password, teamId, role: "admin", name: "Admin" });
    file = await kept?.keep();
    logger.info("first run: created team and admin", { team: team.slug, email });
    await seedSamples(team.id);
  } catch (error) {
    await kept?.discard();
    if (error instanceof AppError && error.code === "conflict") {
      logger.info("first run: another Chorus process set up this database at the same time", { email });
      return undefined;
    }
    throw error;
  }
  if (!generated) return { teamId, email };
  const { print } = output;
  print("");
  if (file) {
    print(`  Chorus created your first admin account, ${email}. Its generated password is in`);
    print(`    ${file}`);
    print("  (readable only by this user): sign in with it, then delete the file.");
  } else {
    print("  Chorus created your first admin account (shown only this once):");
    print(`    email:    ${email}`);
    print(`    password: ${password}`);
  }
  print("  Set CHORUS_ADMIN_EMAIL / CHORUS_ADMIN_PASSWORD before the first start to choose them.");
  print("");
  return { teamId, email };
}

/**
 * The first team starts with Chorus's own docs as sample knowledge (once: the team records it).
 * A failure here is logged, not fatal: the team works without samples.
 */
async function seedSamples(teamId: string) {
  try {
    await seedSampleKnowledge(teamId);
  } catch (error) {
    logger.warn("first run: could not seed the sample knowledge base", { error });
  }
}

/** The team named by CHORUS_TEAM_NAME: found, or created (by this process or, racing it, another). */
async function teamFor(slug: string, name: string) {
  const found = await findTeamBySlug(slug);
  if (found) return found;
  try {
    return await createTeam({ slug, name });
  } catch (error) {
    const raced = error instanceof AppError && error.code === "conflict" ? await findTeamBySlug(slug) : null;
    if (raced) return raced;
    throw error;
  }
}

/** Writes the password beside its final place (mode 0600); `keep` moves it there, `discard` removes it. */
async function keepPassword(dataDir: string, email: string, password: string) {
  const file = path.resolve(dataDir, INITIAL_PASSWORD_FILE);
  const draft = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(draft, `email: ${email}\npassword: ${password}\n`, { mode: 0o600 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Could not write the first admin's password to ${file} (${reason}): set CHORUS_ADMIN_PASSWORD, or make the data dir writable`,
    );
  }
  return {
    keep: async () => {
      await rename(draft, file);
      return file;
    },
    discard: () => rm(draft, { force: true }),
  };
}
