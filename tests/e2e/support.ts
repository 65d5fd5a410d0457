import { execFileSync, spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { APIRequestContext } from "@playwright/test";
import pg from "pg";

/** Creates an API key with the real CLI against a data dir (adopting a running server's Postgres). */
export function createApiKeyWithCli(dataDir: string, team: string, role: "admin" | "user" | "viewer"): string {
  const output = execFileSync("node", ["bin/chorus.mjs", "key", "create", "--team", team, "--role", role, "--name", `e2e ${role}`], {
    env: { ...process.env, CHORUS_DATA_DIR: dataDir, DATABASE_URL: "" },
    encoding: "utf8",
  });
  const key = output.trim().split("\n").at(-1) ?? "";
  if (!key.startsWith("chorus_")) throw new Error(`CLI did not print a key:\n${output}`);
  return key;
}

/**
 * Runs one SQL statement on a running server's embedded Postgres (port from postmaster.pid, password
 * from postgres.json), for the few states a browser cannot reach quickly, such as an expired link.
 */
export async function sqlInDataDir(dataDir: string, sql: string, params: unknown[] = []) {
  const port = Number(readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[3]);
  const { password } = JSON.parse(readFileSync(path.join(dataDir, "postgres.json"), "utf8")) as { password: string };
  const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", password, database: "chorus" });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export function runCli(dataDir: string, args: string[]) {
  return execFileSync("node", ["bin/chorus.mjs", ...args], {
    env: { ...process.env, CHORUS_DATA_DIR: dataDir, DATABASE_URL: "" },
    encoding: "utf8",
  });
}

export async function waitForTask(
  request: APIRequestContext,
  baseURL: string,
  key: string,
  id: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the task as the REST API returns it, read by each spec
  until: (task: any) => boolean,
  timeoutMs = 90_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await request.get(`${baseURL}/api/v1/tasks/${id}`, { headers: { Authorization: `Bearer ${key}` } });
    if (response.ok()) {
      const task = await response.json();
      if (until(task)) return task;
    }
    if (Date.now() > deadline) throw new Error(`task ${id} did not reach the expected state in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Reads a finished task's whole event log through the SSE endpoint. */
export async function readEventLog(baseURL: string, key: string, id: string) {
  const response = await fetch(`${baseURL}/api/tasks/${id}/events`, { headers: { Authorization: `Bearer ${key}` } });
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((block) => block.split("\n").some((line) => line.startsWith("id: "))) // run events; not the closing `end`
    .map((block) => block.split("\n").find((line) => line.startsWith("data: ")))
    .filter((line): line is string => Boolean(line))
    .map((line) => JSON.parse(line.slice(6)) as { seq: number; type: string; payload: Record<string, unknown> });
}

/**
 * Starts Chorus as a user would (`node bin/start.mjs`) on its own port and data dir, with the
 * first team "<teamName>" and admin; never on the caller's database. `env` adds or overrides.
 */
export function spawnChorus(options: {
  port: number;
  dataDir: string;
  teamName: string;
  admin: { email: string; password: string };
  env?: Record<string, string>;
  stdio?: StdioOptions;
}): ChildProcess {
  return spawn("node", ["bin/start.mjs"], {
    env: {
      ...process.env,
      PORT: String(options.port),
      HOST: "127.0.0.1",
      CHORUS_DATA_DIR: options.dataDir,
      CHORUS_ADMIN_EMAIL: options.admin.email,
      CHORUS_ADMIN_PASSWORD: options.admin.password,
      CHORUS_TEAM_NAME: options.teamName,
      LOG_LEVEL: "warn",
      DATABASE_URL: "",
      ...options.env,
    },
    stdio: options.stdio ?? ["ignore", "ignore", "inherit"],
  });
}

/** Resolves once `baseURL` answers its health check; throws after `timeoutMs`, with `detail()` (e.g. the server's output) in the message. */
export async function waitForHealth(baseURL: string, options: { timeoutMs?: number; what?: string; detail?: () => string } = {}) {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    const healthy = await fetch(`${baseURL}/api/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const detail = options.detail?.();
  throw new Error(`${options.what ?? "server"} did not become healthy${detail ? `:\n${detail}` : ""}`);
}
