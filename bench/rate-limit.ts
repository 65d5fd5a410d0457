/**
 * Benchmark — the cost of one rate-limit check, per backend, against a baseline round trip.
 *
 * Checks go through `checkRateLimit` exactly as a request's would, N at a time in sequence
 * (concurrency 1) and with 8 and 64 in flight, after a warm-up. For each: checks/s, wall time,
 * and CPU per check in this process (Node) and in the store (the Postgres cluster, or the
 * Upstash stand-in with its redis-server). The baselines are the cheapest round trip to the
 * same store from the same process: `SELECT 1` through Chorus's pool (Unix socket, prepared),
 * and `PING` through @upstash/redis.
 *
 * The last columns relate the Node CPU per check to a request's: ≈ 1,000 µs for an
 * authenticated GET /api/v1/tasks through Next (~1,000 req/s on one core) and ≈ 420 µs for the
 * direct node:http task read (~2,400 req/s) — the share of throughput a check costs when the
 * server's thread is what runs out.
 *
 *   bash bench/run.sh ratelimit        (or: node_modules/.bin/tsx --tsconfig tsconfig.json --import ./bin/server-only-outside-next.mjs bench/rate-limit.ts)
 *   env: BENCH_CHECKS (per measurement, default 20000), BENCH_UPSTASH_CHECKS (5000), BENCH_WARMUP (2000)
 *   The Upstash half needs redis-server (apt-get install redis-server); without it, it is skipped.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { startEmbeddedPostgres } from "../server/db/embedded";
import { migrate } from "../server/db/migrate";
import { REPO_ROOT } from "./lib/paths";
import { machine, nodeCpuMs, postmasterPid, printJson, printTable, round, treeCpuMs } from "./lib/report";

const CHECKS = Number(process.env.BENCH_CHECKS ?? 20_000);
const UPSTASH_CHECKS = Number(process.env.BENCH_UPSTASH_CHECKS ?? 5_000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2_000);
const CONCURRENCY = [1, 8, 64];
const NEXT_REQUEST_US = 1_000;
const DIRECT_READ_US = 420;

interface Row {
  backend: string;
  what: string;
  concurrency: number;
  perSecond: number;
  wallUs: number;
  nodeUs: number;
  storeUs: number;
}

const rows: Row[] = [];

async function measure(backend: string, what: string, storeCpuMs: () => number, op: (i: number) => Promise<unknown>, checks = CHECKS) {
  for (const concurrency of CONCURRENCY) {
    let next = 0;
    const run = async (count: number) => {
      next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < count) await op(next++);
        }),
      );
    };
    await run(Math.min(WARMUP, checks));
    const startedAt = performance.now();
    const node0 = nodeCpuMs();
    const store0 = storeCpuMs();
    await run(checks);
    const ms = performance.now() - startedAt;
    rows.push({
      backend,
      what,
      concurrency,
      perSecond: (checks / ms) * 1000,
      wallUs: (ms * 1000) / checks,
      nodeUs: ((nodeCpuMs() - node0) * 1000) / checks,
      storeUs: ((storeCpuMs() - store0) * 1000) / checks,
    });
    const row = rows.at(-1)!;
    console.error(
      `  ${backend} · ${what} · c=${concurrency}: ${Math.round(row.perSecond)}/s, node ${row.nodeUs.toFixed(1)} µs, store ${row.storeUs.toFixed(1)} µs`,
    );
  }
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), "chorus-bench-rl-"));
await chmod(dataDir, 0o755);
const postgres = await startEmbeddedPostgres({ dataDir, ownsCluster: true });
await migrate(postgres.url, path.join(REPO_ROOT, "prisma", "migrations"));
process.env.DATABASE_URL = postgres.url; // Chorus's default: the embedded cluster over its Unix socket
delete process.env.UPSTASH_REDIS_REST_URL;
delete process.env.UPSTASH_REDIS_REST_TOKEN;
const { closeDb, query } = await import("../server/db/client");
const { checkRateLimit, updateTeamRateLimits } = await import("../server/rate-limit");
const postmaster = postmasterPid(dataDir)!;
const postgresCpu = () => treeCpuMs(postmaster);

const team = async (slug: string, limits: Record<string, { limit: number; windowMs: number }>) => {
  const { rows: created } = await query<{ id: string }>(`INSERT INTO "Team" (id, slug, name) VALUES ($1, $1, $1) RETURNING id`, [slug]);
  await updateTeamRateLimits(created[0]!.id, { set: limits });
  return created[0]!.id;
};
const DAY = 86_400_000;
const generous = {
  spend: { limit: 1_000_000_000, windowMs: DAY },
  write: { limit: 1_000_000_000, windowMs: DAY },
  read: { limit: 1_000_000_000, windowMs: DAY },
};

try {
  console.error("Postgres backend (embedded, Unix socket)");
  const pgTeam = await team("bench-postgres", generous);
  const defaultsTeam = await team("bench-defaults", {});
  const refusedTeam = await team("bench-refused", { spend: { limit: 1, windowMs: DAY } });
  await measure("postgres", "baseline: SELECT 1", postgresCpu, () => query("SELECT 1", []));
  await measure("postgres", "spend (exact), 1 identity", postgresCpu, () =>
    checkRateLimit({ teamId: pgTeam, identity: "key:one", tier: "spend" }),
  );
  await measure("postgres", "spend (exact), 1,000 identities", postgresCpu, (i) =>
    checkRateLimit({ teamId: pgTeam, identity: `key:${i % 1000}`, tier: "spend" }),
  );
  await measure("postgres", "read (leased), 1 identity", postgresCpu, () =>
    checkRateLimit({ teamId: pgTeam, identity: "key:reader", tier: "read" }),
  );
  // The default read limit (1200/1m, so leases of up to 12) and many identities each reading a
  // little: 20 reads from each of 2,000 identities, fresh ones for every run.
  let runs = 0;
  await measure(
    "postgres",
    "read (leased), default limit, 20 reads × 2,000 identities",
    postgresCpu,
    (i) => {
      if (i === 0) runs++;
      return checkRateLimit({ teamId: defaultsTeam, identity: `key:${runs}-${i % 2000}`, tier: "read" });
    },
    40_000,
  );
  await checkRateLimit({ teamId: refusedTeam, identity: "key:over", tier: "spend" });
  await measure("postgres", "refused (remembered)", postgresCpu, () =>
    checkRateLimit({ teamId: refusedTeam, identity: "key:over", tier: "spend" }),
  );

  if (!spawnSync("sh", ["-c", "command -v redis-server"]).stdout.toString().trim()) {
    console.error("Upstash backend: skipped (apt-get install redis-server)");
  } else {
    console.error("Upstash backend (REST stand-in + redis-server 7.0, in another process)");
    const standIn = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, "node_modules/tsx/dist/cli.mjs"),
        "--tsconfig",
        path.join(REPO_ROOT, "tsconfig.json"),
        path.join(REPO_ROOT, "bench/lib/upstash-stand-in.ts"),
      ],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    const { url, token } = JSON.parse(
      await new Promise<string>((resolve) => createInterface({ input: standIn.stdout! }).once("line", resolve)),
    );
    const standInCpu = () => treeCpuMs(standIn.pid!);
    try {
      process.env.UPSTASH_REDIS_REST_URL = url;
      process.env.UPSTASH_REDIS_REST_TOKEN = token;
      const { Redis } = await import("@upstash/redis");
      const redis = new Redis({ url, token, enableTelemetry: false });
      await measure("upstash", "baseline: PING", standInCpu, () => redis.ping(), UPSTASH_CHECKS);
      await measure(
        "upstash",
        "spend, 1 identity",
        standInCpu,
        () => checkRateLimit({ teamId: pgTeam, identity: "key:one", tier: "spend" }),
        UPSTASH_CHECKS,
      );
      await measure(
        "upstash",
        "read, 1 identity",
        standInCpu,
        () => checkRateLimit({ teamId: pgTeam, identity: "key:reader", tier: "read" }),
        UPSTASH_CHECKS,
      );
      await checkRateLimit({ teamId: refusedTeam, identity: "key:over", tier: "spend" });
      await checkRateLimit({ teamId: refusedTeam, identity: "key:over", tier: "spend" });
      await measure(
        "upstash",
        "refused (ephemeral cache)",
        standInCpu,
        () => checkRateLimit({ teamId: refusedTeam, identity: "key:over", tier: "spend" }),
        UPSTASH_CHECKS,
      );
    } finally {
      standIn.stdin!.end();
      await new Promise((resolve) => standIn.once("exit", resolve));
    }
  }

  printTable(
    `Rate-limit check cost (${CHECKS} Postgres / ${UPSTASH_CHECKS} Upstash checks per row, after ${WARMUP} warm-up; CPU in µs per check)`,
    [
      "backend",
      "what",
      "in flight",
      "checks/s",
      "wall µs",
      "Node CPU",
      "store CPU",
      "% of a Next GET (1,000 µs)",
      "% of a direct read (420 µs)",
    ],
    rows.map((row) => [
      row.backend,
      row.what,
      row.concurrency,
      Math.round(row.perSecond),
      round(row.wallUs, 1),
      round(row.nodeUs, 1),
      round(row.storeUs, 1),
      round((100 * row.nodeUs) / NEXT_REQUEST_US, 1),
      round((100 * row.nodeUs) / DIRECT_READ_US, 1),
    ]),
  );
  printJson({
    benchmark: "rate-limit",
    machine: machine(),
    rows: rows.map((row) => ({
      ...row,
      perSecond: round(row.perSecond, 0),
      wallUs: round(row.wallUs, 1),
      nodeUs: round(row.nodeUs, 1),
      storeUs: round(row.storeUs, 1),
    })),
  });
} finally {
  await closeDb();
  await postgres.stop();
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(0);
