/**
 * `/api/health/ready`: whether this process can do its work now — for a load balancer or a
 * Kubernetes readiness probe, which stop sending it traffic while it cannot. Each check is
 * named in the answer, with the failing ones listed; the answer is public, so a check says what
 * failed, never where (hosts and paths go to the log). `/api/health/live` asks only whether the
 * process answers at all (no database), so a liveness probe never restarts Chorus for an outage
 * it cannot fix by restarting.
 */
import { statfs } from "node:fs/promises";
import { connect } from "node:net";
import path from "node:path";
import { checkHealth, PublicCheckFailure, timed, type HealthReport } from "@/server/db/health";
import { getEnv } from "@/server/env";
import { executorRunning } from "@/server/observability/executor-presence";

type Check = HealthReport["checks"][string];

export interface ReadinessReport {
  status: "ok" | "error";
  time: string;
  checks: Record<string, Check>;
  /** The checks that failed, by name (empty when ready). */
  failing: string[];
}

const CHECK_TIMEOUT_MS = 2000;

async function freeDiskBytes(directory: string): Promise<number> {
  // Before the embedded database first starts, the data directory may not exist yet: its parent's disk is the one.
  for (let at = path.resolve(directory); ; at = path.dirname(at)) {
    try {
      const stats = await statfs(at);
      return stats.bavail * stats.bsize;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || path.dirname(at) === at) throw error;
    }
  }
}

/** A Redis server answers PING (an auth error is an answer too: it is up). */
function pingRedis(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", () => {
      socket.destroy();
      resolve();
    });
    socket.once("error", (error) => {
      socket.destroy();
      reject(error);
    });
    socket.setTimeout(CHECK_TIMEOUT_MS, () => socket.destroy(new Error("no answer")));
  });
}

async function expectAnswer(url: string, init: RequestInit = {}): Promise<void> {
  const answer = await fetch(url, { ...init, signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
  await answer.body?.cancel();
  if (answer.status >= 500 || (init.headers && !answer.ok)) throw new Error(`answered ${answer.status}`);
}

export async function checkReadiness(): Promise<ReadinessReport> {
  const env = getEnv();
  const pending: Record<string, Promise<Check>> = {
    database: checkHealth().then((health) => health.checks.database!),
    disk: timed(async () => {
      const free = await freeDiskBytes(env.CHORUS_DATA_DIR);
      const needed = env.CHORUS_READY_MIN_FREE_DISK_MB * 1024 * 1024;
      if (free < needed) throw new PublicCheckFailure(`less than ${env.CHORUS_READY_MIN_FREE_DISK_MB} MB free under the data directory`);
    }, CHECK_TIMEOUT_MS),
  };
  if (env.INNGEST_MODE === "embedded") {
    pending.executor = timed(async () => {
      if (!executorRunning()) throw new PublicCheckFailure("the embedded executor is not running");
    }, CHECK_TIMEOUT_MS);
  } else if (env.INNGEST_BASE_URL) {
    // A self-hosted Inngest server (docs/server-mode.md); Inngest Cloud is not probed from here.
    pending.inngest = timed(() => expectAnswer(env.INNGEST_BASE_URL!), CHECK_TIMEOUT_MS);
  }
  if (env.REDIS_URL) pending.redis = timed(() => pingRedis(env.REDIS_URL!), CHECK_TIMEOUT_MS);
  else if (env.UPSTASH_REDIS_REST_URL) {
    pending.redis = timed(
      () =>
        expectAnswer(`${env.UPSTASH_REDIS_REST_URL!.replace(/\/$/, "")}/ping`, {
          headers: { Authorization: `Bearer ${env.UPSTASH_REDIS_REST_TOKEN ?? ""}` },
        }),
      CHECK_TIMEOUT_MS,
    );
  }
  const names = Object.keys(pending);
  const results = await Promise.all(Object.values(pending));
  const checks = Object.fromEntries(names.map((name, index) => [name, results[index]!]));
  const failing = names.filter((name) => checks[name]!.status !== "ok");
  return { status: failing.length === 0 ? "ok" : "error", time: new Date().toISOString(), checks, failing };
}
