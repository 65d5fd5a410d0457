/**
 * The real Chorus server for the end-to-end benchmarks: `node bin/start.mjs` from the repo
 * root with its own data dir (embedded Postgres inside), an API key made with the real CLI,
 * and a keep-alive HTTP client for the REST API.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { chmod, mkdtemp } from "node:fs/promises";
import http from "node:http";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { BENCH_ROOT, REPO_ROOT } from "./paths";
import { sleep } from "./report";

export const TEAM_NAME = "Bench Team";
export const TEAM_SLUG = "bench-team";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export async function makeDataDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

export interface ServerOptions {
  dataDir: string;
  port: number;
  offlineTokenDelayMs: number;
  /** Extra environment (e.g. CHORUS_EXECUTOR_CONCURRENCY). */
  env?: Record<string, string>;
  /** Preload bench/lib/server-probe.mjs; windows written to this file. */
  probeFile?: string;
  profile?: boolean;
  /** Where the server's stdout/stderr go (appended). */
  logFile: string;
}

export class ChorusServer {
  child: ChildProcess | undefined;
  readonly baseUrl: string;
  constructor(readonly options: ServerOptions) {
    this.baseUrl = `http://127.0.0.1:${options.port}`;
  }

  env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CHORUS_DATA_DIR: this.options.dataDir,
      PORT: String(this.options.port),
      HOST: "127.0.0.1",
      CHORUS_OFFLINE_TOKEN_DELAY_MS: String(this.options.offlineTokenDelayMs),
      CHORUS_ADMIN_EMAIL: "bench-admin@chorus.test",
      CHORUS_ADMIN_PASSWORD: "bench-admin-password-123",
      CHORUS_TEAM_NAME: TEAM_NAME,
      LOG_LEVEL: "warn",
      NEXT_TELEMETRY_DISABLED: "1",
      ...this.options.env,
    };
    // Never inherit a database or Inngest target from the caller's shell.
    delete env.DATABASE_URL;
    delete env.INNGEST_MODE;
    delete env.NODE_OPTIONS;
    if (this.options.probeFile) {
      env.NODE_OPTIONS = `--import=${path.join(BENCH_ROOT, "lib", "server-probe.mjs")}`;
      env.BENCH_PROBE_FILE = this.options.probeFile;
      if (this.options.profile) env.BENCH_PROBE_PROFILE = "1";
    }
    return env;
  }

  /** Starts the server and resolves when /api/health answers 200 (builds Next.js first if needed). */
  async start(timeoutMs = 600_000): Promise<void> {
    const log = (line: string) => writeFileSync(this.options.logFile, line, { flag: "a" });
    log(`\n--- start ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "start.mjs")], {
      cwd: REPO_ROOT,
      env: this.env(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    child.stdout!.on("data", (chunk: Buffer) => log(chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => log(chunk.toString()));
    let exited: number | null | undefined;
    child.once("exit", (code, signal) => {
      exited = code ?? (signal ? -1 : 0);
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited !== undefined) {
        throw new Error(`Chorus exited during start-up (code ${exited}); see ${this.options.logFile}`);
      }
      try {
        const response = await fetch(`${this.baseUrl}/api/health`);
        await response.arrayBuffer();
        if (response.ok) return;
      } catch {
        /* not listening yet */
      }
      await sleep(200);
    }
    throw new Error(`Chorus did not become healthy within ${timeoutMs / 1000} s; see ${this.options.logFile}`);
  }

  get pid() {
    return this.child?.pid;
  }

  /** SIGKILL: no drain, no Postgres stop (the next start adopts the running cluster). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    this.child = undefined;
  }

  /** SIGTERM: drains and stops embedded Postgres. */
  async stop(timeoutMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
  }

  /** The server's processes that run bin/start.mjs: the server itself and, with CHORUS_WORKERS, its workers. */
  serverProcesses(): number[] {
    const root = this.child?.pid;
    if (!root) return [];
    const found: number[] = [];
    const visit = (pid: number) => {
      let cmdline = "";
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        return;
      }
      if (!cmdline.includes(path.join("bin", "start.mjs"))) return;
      found.push(pid);
      let children: number[] = [];
      try {
        children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
      } catch {
        /* exited */
      }
      children.forEach(visit);
    };
    visit(root);
    return found;
  }

  /**
   * Opens (first call) or closes (second call) a probe window in every server process; resolves
   * with the window's data, added up over the processes, when closing. The CPU profile kept (at
   * `<probeFile>.cpuprofile`) is that of the busiest process.
   */
  async probeWindow(): Promise<ProbeWindow | undefined> {
    const file = this.options.probeFile;
    if (!file || !this.child?.pid) return undefined;
    const opening = this.probed.length === 0;
    if (opening) {
      this.probed = this.serverProcesses();
      for (const pid of this.probed) {
        rmSync(`${file}.${pid}`, { force: true });
        rmSync(`${file}.${pid}.started`, { force: true });
        process.kill(pid, "SIGUSR2");
      }
      for (let i = 0; i < 100 && !this.probed.every((pid) => existsSync(`${file}.${pid}.started`)); i++) await sleep(50);
      return undefined;
    }
    const pids = this.probed;
    this.probed = [];
    for (const pid of pids) process.kill(pid, "SIGUSR2");
    for (let i = 0; i < 600 && !pids.every((pid) => existsSync(`${file}.${pid}`)); i++) await sleep(50);
    const windows = pids
      .filter((pid) => existsSync(`${file}.${pid}`))
      .map((pid) => ({ pid, window: JSON.parse(readFileSync(`${file}.${pid}`, "utf8")) as ProbeWindow }));
    for (const pid of pids) rmSync(`${file}.${pid}.started`, { force: true });
    if (windows.length === 0) return undefined;
    const busiest = windows.reduce((a, b) => (b.window.cpuMs > a.window.cpuMs ? b : a));
    if (existsSync(`${file}.${busiest.pid}.cpuprofile`)) copyFileSync(`${file}.${busiest.pid}.cpuprofile`, `${file}.cpuprofile`);
    const shapes = new Map<string, number>();
    for (const { window } of windows) for (const [shape, count] of window.shapes) shapes.set(shape, (shapes.get(shape) ?? 0) + count);
    return {
      seconds: Math.max(...windows.map(({ window }) => window.seconds)),
      cpuMs: windows.reduce((sum, { window }) => sum + window.cpuMs, 0),
      statements: windows.reduce((sum, { window }) => sum + window.statements, 0),
      shapes: [...shapes.entries()].sort((a, b) => b[1] - a[1]),
    };
  }

  private probed: number[] = [];
}

export interface ProbeWindow {
  seconds: number;
  cpuMs: number;
  statements: number;
  shapes: [string, number][];
}

/** Creates an API key with the real CLI (same data dir; adopts the running Postgres). The key is the last line. */
export function createApiKey(dataDir: string, role = "user"): string {
  const env: NodeJS.ProcessEnv = { ...process.env, CHORUS_DATA_DIR: dataDir, LOG_LEVEL: "warn" };
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS;
  const result = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, "bin", "chorus.mjs"), "key", "create", "--team", TEAM_SLUG, "--role", role, "--name", "bench"],
    { cwd: REPO_ROOT, env, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`chorus key create failed (${result.status}): ${result.stderr || result.stdout}`);
  const lines = result.stdout.trim().split("\n");
  const key = lines[lines.length - 1]!.trim();
  if (!key || /\s/.test(key)) throw new Error(`unexpected output from chorus key create: ${result.stdout}`);
  return key;
}

/**
 * Lifts the bench team's rate limits out of reach (`chorus team limits`): a benchmark drives far
 * more than a team's 100 task creations an hour. The limiter still runs on every request, so its
 * cost stays in the numbers. Call it before the first request: a running server reads a team's
 * limits at most every 10 s.
 */
export function liftRateLimits(dataDir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, CHORUS_DATA_DIR: dataDir, LOG_LEVEL: "warn" };
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS;
  const unlimited = "1000000000/1m";
  const result = spawnSync(
    process.execPath,
    [
      path.join(REPO_ROOT, "bin", "chorus.mjs"),
      "team",
      "limits",
      TEAM_SLUG,
      "--spend",
      unlimited,
      "--write",
      unlimited,
      "--read",
      unlimited,
    ],
    { cwd: REPO_ROOT, env, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`chorus team limits failed (${result.status}): ${result.stderr || result.stdout}`);
}

/** The server's own embedded Postgres, over TCP (port from postmaster.pid, password from postgres.json). */
export async function connectToServerDatabase(dataDir: string): Promise<pg.Client> {
  const port = Number(readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[3]);
  const { password } = JSON.parse(readFileSync(path.join(dataDir, "postgres.json"), "utf8")) as { password: string };
  const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", password, database: "chorus" });
  await client.connect();
  return client;
}

/** A small JSON client on keep-alive connections (node:http: far cheaper per request than fetch). */
export class ApiClient {
  private readonly agent: http.Agent;
  private readonly url: URL;
  constructor(
    baseUrl: string,
    private readonly key: string,
    maxSockets: number,
  ) {
    this.url = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request<T = unknown>(method: string, pathname: string, body?: unknown): Promise<{ status: number; body: T }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method,
          path: pathname,
          agent: this.agent,
          headers: {
            Authorization: `Bearer ${this.key}`,
            ...(payload ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } : {}),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              /* not JSON */
            }
            resolve({ status: response.statusCode ?? 0, body: parsed as T });
          });
          response.on("error", reject);
        },
      );
      request.on("error", reject);
      if (payload) request.write(payload);
      request.end();
    });
  }

  close() {
    this.agent.destroy();
  }
}
