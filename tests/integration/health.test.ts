import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { getPool } from "@/server/db/client";
import { useApiServer } from "../support/api-server";

/**
 * Liveness and readiness on the real front door: `/api/health/live` answers while the process
 * does, `/api/health/ready` checks the database, the embedded executor, Redis when configured and
 * free disk under the data directory, and answers 503 naming the failing check (a stopped
 * executor, a data directory's disk below an absurd threshold, a Redis nobody listens for, a
 * database on a closed port in a process of its own) — never where it failed.
 */
const api = useApiServer();

interface Readiness {
  status: "ok" | "error";
  checks: Record<string, { status: "ok" | "error"; message?: string; latencyMs?: number }>;
  failing: string[];
}

async function ready(): Promise<{ status: number; body: Readiness; cacheControl: string | null }> {
  const answer = await fetch(`${api.baseURL}/api/health/ready`);
  return { status: answer.status, body: (await answer.json()) as Readiness, cacheControl: answer.headers.get("cache-control") };
}

let stopExecutor: (() => Promise<void>) | undefined;
async function startExecutorNow() {
  const { startExecutor } = await import("@/server/runtime/executor");
  stopExecutor = await startExecutor({ pool: getPool(), concurrency: 2 });
}

const saved = { ...process.env };
afterEach(async () => {
  await stopExecutor?.();
  stopExecutor = undefined;
  for (const name of ["CHORUS_READY_MIN_FREE_DISK_MB", "REDIS_URL"]) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

/** A port with nothing listening on it: one the OS gave us, closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("liveness", () => {
  it("answers 200 while the process runs, without asking anything else", async () => {
    const answer = await fetch(`${api.baseURL}/api/health/live`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(await answer.json()).toMatchObject({ status: "ok" });
  });
});

describe("readiness", () => {
  it("is ready when the database answers, the executor runs and the disk has room", async () => {
    await startExecutorNow();
    const { status, body, cacheControl } = await ready();
    expect(status).toBe(200);
    expect(cacheControl).toBe("no-store");
    expect(body).toMatchObject({ status: "ok", failing: [] });
    expect(Object.keys(body.checks).sort()).toEqual(["database", "disk", "executor"]);
    for (const check of Object.values(body.checks)) expect(check.status).toBe("ok");
  });

  it("is not ready while the embedded executor is stopped", async () => {
    await startExecutorNow();
    expect((await ready()).status).toBe(200);
    await stopExecutor!();
    stopExecutor = undefined;
    const { status, body } = await ready();
    expect(status).toBe(503);
    expect(body.failing).toEqual(["executor"]);
    expect(body.checks.executor).toMatchObject({ status: "error", message: "the embedded executor is not running" });
    expect(body.checks.database!.status).toBe("ok");
  });

  it("is not ready when the data directory's disk has less free space than the threshold", async () => {
    await startExecutorNow();
    process.env.CHORUS_READY_MIN_FREE_DISK_MB = "100000000"; // 100 TB
    const { status, body } = await ready();
    expect(status).toBe(503);
    expect(body.failing).toEqual(["disk"]);
    expect(body.checks.disk).toMatchObject({ status: "error", message: "less than 100000000 MB free under the data directory" });
    // The live check does not care.
    expect((await fetch(`${api.baseURL}/api/health/live`)).status).toBe(200);
  });

  it("checks Redis when REDIS_URL is set: ready when it answers, not when nothing listens", async () => {
    await startExecutorNow();
    // Something speaking RESP: answers PING with PONG.
    const redis: Server = createServer((socket) => socket.once("data", () => socket.end("+PONG\r\n")));
    await new Promise<void>((resolve) => redis.listen(0, "127.0.0.1", resolve));
    try {
      process.env.REDIS_URL = `redis://127.0.0.1:${(redis.address() as AddressInfo).port}`;
      const up = await ready();
      expect(up.status).toBe(200);
      expect(up.body.checks.redis!.status).toBe("ok");
    } finally {
      await new Promise((resolve) => redis.close(resolve));
    }
    const port = await closedPort();
    process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
    const down = await ready();
    expect(down.status).toBe(503);
    expect(down.body.failing).toEqual(["redis"]);
    // Public answer: says what failed, never where.
    expect(JSON.stringify(down.body)).not.toContain(String(port));
  });

  it("is not ready when the database does not answer (a process of its own, on a closed port)", async () => {
    const port = await closedPort();
    const probe = spawnSync(
      process.execPath,
      ["--import", "tsx", "--import", "./bin/server-only-outside-next.mjs", path.join("tests", "support", "readiness-probe.ts")],
      {
        env: { ...process.env, DATABASE_URL: `postgresql://chorus:secret-pw@127.0.0.1:${port}/chorus`, LOG_LEVEL: "silent" },
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    const line = probe.stdout.split("\n").find((text) => text.startsWith("READINESS "));
    expect(line, probe.stderr).toBeDefined();
    const report = JSON.parse(line!.slice("READINESS ".length)) as Readiness;
    expect(report.status).toBe("error");
    expect(report.failing).toContain("database");
    expect(report.checks.database).toMatchObject({ status: "error", message: "unavailable" });
    expect(report.checks.disk!.status).toBe("ok");
    expect(line).not.toContain(String(port));
    expect(line).not.toContain("secret-pw");
  });

  it("leaves /api/health as it was", async () => {
    const answer = await fetch(`${api.baseURL}/api/health`);
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { status: string; checks: Record<string, unknown> };
    expect(body.status).toBe("ok");
    expect(Object.keys(body.checks)).toEqual(["database"]);
  });
});
