/**
 * The admin CLI. Works against the same database as the server (DATABASE_URL, or the
 * embedded Postgres in CHORUS_DATA_DIR — adopted if the server is running, started and
 * stopped around the command if not).
 *
 *   chorus team create <slug> [--name NAME]
 *   chorus team limits <slug> [--spend 200/1h] [--write 300/1m] [--read 3000/1m] [--reset]
 *   chorus user create --email E --password-stdin --team SLUG --role admin|user|viewer
 *   chorus user password --email E --password-stdin
 *   chorus key create --team SLUG --role admin|user|viewer [--name NAME] [--expires-in 90d]
 *   chorus key list --team SLUG
 *   chorus key revoke <key id> --team SLUG
 *   chorus secrets rotate
 *   chorus backup <file>
 *   chorus restore <file> --data-dir <dir>
 *   chorus prune
 *   chorus migrate
 *   chorus eval run --dataset NAME --config FILE [--baseline ID] [--fail-under SCORE] … (server/cli/eval-run.ts)
 */
import { parseArgs } from "node:util";
import { ConfigError, getEnv } from "@/server/env";
import { AppError } from "@/server/errors";
import { prepareDatabase } from "@/server/runtime/database";
import { roles } from "@/server/auth/permissions";
import type { Role } from "@/server/db/types";
import { apiKeyTable, maskedApiKey, utcSeconds } from "@/server/cli/api-key-output";
import { API_KEY_LIFETIME_FORMAT, parseApiKeyLifetime } from "@/server/auth/api-key-lifetime";
import { RATE_LIMIT_FORMAT, RATE_LIMIT_TIERS, parseRateLimitRule } from "@/server/domain/rate-limit-rules";
import type { RateLimitOverrides } from "@/server/rate-limit";
import { rateLimitTable } from "@/server/cli/rate-limit-output";
import { MasterKeyMissingError } from "@/server/secrets/master-keys";
import { evalRunUsage } from "@/server/cli/eval-run-output";

const usage = `Usage:
  chorus team create <slug> [--name NAME]
  chorus team limits <slug> [--spend N/WINDOW] [--write N/WINDOW] [--read N/WINDOW] [--reset]
      (shows the team's rate limits per API key or user; the options set them, e.g. --spend 200/1h,
       --reset returns them all to the server's defaults; windows in s, m, h or d)
  chorus user create --email EMAIL --password-stdin --team SLUG --role admin|user|viewer
      (the password is read from stdin: echo "$PASSWORD" | chorus user create …;
       --password PASSWORD also works, but other users of the machine see it in the process list;
       a user who already has an account joins the team without one, keeping their password)
  chorus user password --email EMAIL --password-stdin
      (sets a new password and signs the user out of every browser session)
  chorus key create --team SLUG --role admin|user|viewer [--name NAME] [--expires-in DURATION]
      (--expires-in: the key is refused after that long, in days or hours, e.g. 90d or 12h;
       without it the key lasts until it is revoked)
  chorus key list --team SLUG
  chorus key revoke <key id> --team SLUG
  chorus secrets rotate
      (re-encrypts every stored secret under CHORUS_MASTER_KEY, reading old ones with
       CHORUS_MASTER_KEY_PREVIOUS; safe while Chorus runs and to run again; docs/secrets.md)
  chorus backup <file>
      (a consistent copy of the embedded database and data dir, taken while Chorus runs;
       for a DATABASE_URL of your own use pg_dump; docs/operations.md#backup-and-restore)
  chorus restore <file> --data-dir <dir>
      (restores a backup into a new or empty directory; run Chorus with CHORUS_DATA_DIR=<dir>)
  chorus prune
      (deletes old run events, workflow state, webhook deliveries and audit events now, as the
       server does hourly, with the CHORUS_*_RETENTION_DAYS of this environment; docs/operations.md#retention)
  chorus migrate
      (applies pending database migrations and exits: a deployment's migration job runs it before
       new servers start; they apply pending ones too, so it is optional; docs/deployment.md)
${evalRunUsage}

Environment: DATABASE_URL, or CHORUS_DATA_DIR for the embedded database (default ./.data);
CHORUS_URL and CHORUS_API_KEY for eval run against a server.`;

class UsageError extends Error {}

function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

function role(value: string): Role {
  if (!roles.includes(value as Role)) throw new UsageError(`--role must be one of ${roles.join(", ")}`);
  return value as Role;
}

/** The password from stdin (`--password-stdin`: its first line), from `--password`, or none. */
async function passwordOf(values: Record<string, string | boolean | undefined>): Promise<string | undefined> {
  if (!values["password-stdin"]) return typeof values.password === "string" ? values.password : undefined;
  if (values.password !== undefined) throw new UsageError("give --password or --password-stdin, not both");
  let input = "";
  for await (const chunk of process.stdin) input += String(chunk);
  const password = input.split(/\r?\n/)[0] ?? "";
  if (!password) throw new UsageError("--password-stdin: stdin held no password");
  return password;
}

/** `--expires-in` of `key create` in ms, or undefined for a key that lasts until revoked. */
function keyLifetime(command: string, values: Record<string, string | boolean | undefined>): number | undefined {
  const value = values["expires-in"];
  if (value === undefined) return undefined;
  if (command !== "key create") throw new UsageError("--expires-in is an option of key create only");
  const lifetimeMs = typeof value === "string" ? parseApiKeyLifetime(value) : undefined;
  if (lifetimeMs === undefined) throw new UsageError(`--expires-in must be ${API_KEY_LIFETIME_FORMAT}; got "${value}"`);
  return lifetimeMs;
}

/** The `team limits` options: tiers to set (`--spend 200/1h`) and whether to `--reset` first. */
function rateLimitChanges(values: Record<string, string | boolean | undefined>): { set: RateLimitOverrides; reset: boolean } {
  const set: RateLimitOverrides = {};
  for (const tier of RATE_LIMIT_TIERS) {
    const value = values[tier];
    if (value === undefined) continue;
    const rule = typeof value === "string" ? parseRateLimitRule(value) : undefined;
    if (!rule) throw new UsageError(`--${tier} must be ${RATE_LIMIT_FORMAT}`);
    set[tier] = rule;
  }
  return { set, reset: values.reset === true };
}

/** `chorus backup <file>` and `chorus restore <file> --data-dir <dir>` (server/backup/embedded-backup.ts). */
async function runBackupCommand(command: "backup" | "restore", args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { "data-dir": { type: "string" } } });
  if (positionals.length !== 1)
    throw new UsageError(
      command === "backup"
        ? "backup needs one file: chorus backup <file>"
        : "restore needs one file: chorus restore <file> --data-dir <dir>",
    );
  const { backupEmbeddedDatabase, restoreEmbeddedDatabase } = await import("@/server/backup/embedded-backup");
  if (command === "restore") {
    const restored = await restoreEmbeddedDatabase({ file: positionals[0]!, dataDir: required(values, "data-dir") });
    console.log(
      `Restored the backup of ${restored.createdAt} into ${restored.dataDir} (${restored.files} files, ${restored.tasks} tasks); ` +
        `start Chorus on it with CHORUS_DATA_DIR=${restored.dataDir}.`,
    );
    if (restored.leftOut.includes("master.key"))
      console.log(
        `The backup does not hold the master key (keep it apart, docs/secrets.md): copy the original data dir's master.key into ${restored.dataDir}, ` +
          "or set CHORUS_MASTER_KEY, or the secrets stored in the database cannot be read.",
      );
    return;
  }
  if (values["data-dir"] !== undefined) throw new UsageError("--data-dir is an option of restore only (backup reads CHORUS_DATA_DIR)");
  const env = getEnv();
  if (env.DATABASE_URL)
    throw new UsageError(
      "chorus backup copies the embedded database; with DATABASE_URL set, back up that Postgres with pg_dump of its major version (docs/operations.md#backup-and-restore)",
    );
  const database = await prepareDatabase(env, { ownsCluster: false });
  try {
    const report = await backupEmbeddedDatabase({ dataDir: env.CHORUS_DATA_DIR, url: database.url, file: positionals[0]! });
    console.log(
      `Backed up the embedded database (Postgres ${report.postgresVersion}, ${report.files} files, ${(report.bytes / 1024 / 1024).toFixed(1)} MB before compression) ` +
        `into ${report.file}.`,
    );
    if (report.leftOut.length > 0)
      console.log(
        `Left out of it: ${report.leftOut.join(", ")} (secrets kept apart from database backups, docs/secrets.md). ` +
          "Back up master.key separately: without it the secrets stored in the database cannot be read.",
      );
  } finally {
    await database.stop();
  }
}

/** `chorus prune`: one prune of old rows now (server/retention), reporting what went. */
async function runPruneCommand(args: string[]): Promise<void> {
  if (args.length > 0) throw new UsageError("prune takes no arguments: chorus prune");
  const database = await prepareDatabase(getEnv(), { ownsCluster: false });
  const { closeDb } = await import("@/server/db/client");
  try {
    const { pruneOldRows } = await import("@/server/retention/prune-old-rows");
    const pruned = await pruneOldRows();
    console.log(
      `Pruned ${pruned.runEvents} run events, ${pruned.workflowRuns} finished workflow runs, ` +
        `${pruned.webhookDeliveries} webhook deliveries and ${pruned.auditEvents} audit events.`,
    );
  } finally {
    await closeDb();
    await database.stop();
  }
}

/** Resolves to the exit code when the command decides it (eval run's gate); otherwise 0. */
async function run(argv: string[]): Promise<number | void> {
  const [resource, action, ...rest] = argv;
  if (!resource || resource === "help" || resource === "--help" || resource === "-h") {
    console.log(usage);
    return;
  }
  if (resource === "backup" || resource === "restore") return runBackupCommand(resource, argv.slice(1));
  if (resource === "prune") return runPruneCommand(argv.slice(1));
  if (resource === "eval") return (await import("@/server/cli/eval-run")).runEvalCommand(argv.slice(1));
  const command = `${resource} ${action ?? ""}`.trim();
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: "string" },
      email: { type: "string" },
      password: { type: "string" },
      "password-stdin": { type: "boolean" },
      team: { type: "string" },
      role: { type: "string" },
      spend: { type: "string" },
      write: { type: "string" },
      read: { type: "string" },
      reset: { type: "boolean" },
      "expires-in": { type: "string" },
    },
  });
  if (
    ![
      "team create",
      "team limits",
      "user create",
      "user password",
      "key create",
      "key list",
      "key revoke",
      "secrets rotate",
      "migrate",
    ].includes(command)
  )
    throw new UsageError(`Unknown command "${command}"`);
  const limits = command === "team limits" ? rateLimitChanges(values) : undefined;
  const lifetimeMs = keyLifetime(command, values);
  if (command === "team limits" && positionals.length !== 1)
    throw new UsageError("team limits needs one team slug: chorus team limits <slug> [--spend 200/1h] …");

  const database = await prepareDatabase(getEnv(), { ownsCluster: false });
  const { closeDb } = await import("@/server/db/client");
  const { changePassword, createTeam, createUserInTeam, getTeamBySlug } = await import("@/server/teams/teams");
  const { createApiKey, revokeApiKey, VERIFIED_KEY_TTL_MS } = await import("@/server/auth/api-keys");
  const { findApiKey, listApiKeys } = await import("@/server/db/queries/api-keys");
  const { recordAudit } = await import("@/server/audit/record-audit");
  const { teamRateLimits, updateTeamRateLimits, TEAM_LIMITS_TTL_MS } = await import("@/server/rate-limit");
  try {
    if (command === "migrate") {
      // prepareDatabase applied them (under Prisma's advisory lock, so concurrent starts wait): report what it did.
      const { applied, alreadyApplied } = database.migrations;
      for (const name of applied) console.log(`Applied ${name}`);
      console.log(
        applied.length === 0
          ? `The database is up to date (${alreadyApplied.length} migrations applied before).`
          : `Applied ${applied.length} migration${applied.length === 1 ? "" : "s"}; ${alreadyApplied.length} were applied before.`,
      );
    } else if (command === "team create") {
      const slug = positionals[0];
      if (!slug) throw new UsageError("team create needs a slug: chorus team create <slug>");
      const team = await createTeam({ slug, name: values.name });
      console.log(`Created team "${team.name}" (slug ${team.slug}, id ${team.id})`);
    } else if (command === "secrets rotate") {
      const { masterKeyring } = await import("@/server/secrets/master-keys");
      const { rotateStoredSecrets } = await import("@/server/secrets/stored-secrets");
      const keyring = masterKeyring();
      const report = await rotateStoredSecrets(keyring);
      console.log(
        `Re-encrypted ${report.rewritten} stored secret${report.rewritten === 1 ? "" : "s"} under master key ${report.keyId}` +
          (report.skipped > 0 ? ` (${report.skipped} changed meanwhile, so already under it)` : "") +
          ".",
      );
      if (keyring.readable.length > 1)
        console.log(`Once every server runs with CHORUS_MASTER_KEY=<key ${report.keyId}>, CHORUS_MASTER_KEY_PREVIOUS can be removed.`);
    } else if (command === "team limits") {
      const team = await getTeamBySlug(positionals[0]!);
      const changing = limits!.reset || Object.keys(limits!.set).length > 0;
      const effective = changing ? await updateTeamRateLimits(team.id, limits!) : await teamRateLimits(team.id);
      if (!effective) throw new AppError("not_found", `No team with slug "${team.slug}"`, "team");
      console.log(`Rate limits of team ${team.slug}, per API key or user:`);
      console.log(rateLimitTable(effective));
      // This process cannot clear a running server's memory of the team's limits; it lapses on its own.
      if (changing) console.log(`A server that is running applies the change within ${TEAM_LIMITS_TTL_MS / 1000} s.`);
    } else if (command === "user create") {
      const team = await getTeamBySlug(required(values, "team"));
      const user = await createUserInTeam({
        email: required(values, "email"),
        password: await passwordOf(values),
        teamId: team.id,
        role: role(required(values, "role")),
        name: values.name,
      });
      console.log(
        user.created
          ? `Created user ${user.email} as ${values.role} in team ${team.slug}`
          : `Added ${user.email}, who already has an account, as ${values.role} in team ${team.slug}; their password is unchanged`,
      );
    } else if (command === "user password") {
      const newPassword = await passwordOf(values);
      if (newPassword === undefined) throw new UsageError("user password needs --password-stdin (or --password)");
      const changed = await changePassword({ email: required(values, "email"), password: newPassword });
      console.log(
        `Changed the password of ${changed.email}; ended ${changed.endedSessions} signed-in session${changed.endedSessions === 1 ? "" : "s"}`,
      );
    } else if (command === "key create") {
      const team = await getTeamBySlug(required(values, "team"));
      const keyRole = role(required(values, "role"));
      const expiresAt = lifetimeMs === undefined ? undefined : new Date(Date.now() + lifetimeMs);
      const { key, record } = await createApiKey({ teamId: team.id, role: keyRole, name: values.name ?? `${keyRole} key`, expiresAt });
      await recordAudit(
        { teamId: team.id, actor: "cli" },
        {
          action: "api_key.created",
          target: { type: "api_key", id: record.id },
          details: { name: record.name, role: keyRole, expiresAt: record.expiresAt ? new Date(record.expiresAt).toISOString() : null },
        },
      );
      console.log(`Created API key "${record.name}" (${maskedApiKey(record.prefix)}, role ${keyRole}) for team ${team.slug}.`);
      console.log(
        record.expiresAt
          ? `It expires at ${utcSeconds(record.expiresAt)}.`
          : "It does not expire; revoke it with chorus key revoke when it is no longer needed.",
      );
      console.log("Store it now: it is shown only once and kept only as a hash.");
      console.log(key);
    } else if (command === "key list") {
      const team = await getTeamBySlug(required(values, "team"));
      const keys = await listApiKeys(team.id);
      console.log(keys.length === 0 ? `Team ${team.slug} has no API keys.` : apiKeyTable(keys, new Date()));
    } else {
      if (positionals.length !== 1) throw new UsageError("key revoke needs one key id: chorus key revoke <key id> --team SLUG");
      const team = await getTeamBySlug(required(values, "team"));
      const key = await findApiKey(team.id, positionals[0]!);
      if (!key)
        throw new AppError(
          "not_found",
          `No API key with id "${positionals[0]}" in team ${team.slug} (see chorus key list --team ${team.slug})`,
          "id",
        );
      const described = `API key "${key.name}" (${maskedApiKey(key.prefix)}, role ${key.role}) of team ${team.slug}`;
      if (key.revokedAt || !(await revokeApiKey(team.id, key.id))) {
        console.log(`${described} was already revoked${key.revokedAt ? ` (at ${utcSeconds(key.revokedAt)})` : ""}; nothing changed.`);
        return;
      }
      await recordAudit(
        { teamId: team.id, actor: "cli" },
        { action: "api_key.revoked", target: { type: "api_key", id: key.id }, details: { name: key.name, role: key.role } },
      );
      console.log(`Revoked ${described}.`);
      // This process cannot clear a running server's memory of verified keys; it lapses on its own.
      console.log(`A server that is running refuses it within ${VERIFIED_KEY_TTL_MS / 1000} s: it remembers verified keys that long.`);
    }
  } finally {
    await closeDb();
    await database.stop();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
      console.error(`chorus: ${error.message}\n\n${usage}`);
      process.exit(2);
    }
    if (error instanceof AppError || error instanceof ConfigError || error instanceof MasterKeyMissingError) {
      console.error(`chorus: ${error.message}`);
      process.exit(1);
    }
    console.error("chorus: unexpected error:", error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
