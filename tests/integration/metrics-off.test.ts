import client from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { parseEnv } from "@/server/env";
import { switchMetrics } from "@/server/observability/metrics-switch";
import { useApiServer } from "../support/api-server";
import { createTeamWithMembers, THREE_AGENT_PROMPT, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";

/**
 * CHORUS_METRICS=off (docs/operations.md#metrics): nothing is counted while tasks run — the
 * baseline the benchmark measures the metrics' cost against — and GET /api/metrics answers a
 * JSON 404 that says metrics are off, instead of empty or stale numbers.
 */
const api = useApiServer();
useEmbeddedExecutor(8);

/** The value of one series in prom-client's registry (this process's counts). */
async function valueOf(name: string, labels: Record<string, string>): Promise<number> {
  const metric = client.register.getSingleMetric(name);
  const values = metric ? (await metric.get()).values : [];
  const matching = values.filter((value) => Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted));
  return matching.reduce((sum, value) => sum + value.value, 0);
}

beforeAll(() => {
  // As server/main.ts does with the parsed environment.
  process.env.CHORUS_METRICS = "off";
  switchMetrics(parseEnv(process.env).CHORUS_METRICS);
});
afterAll(() => {
  delete process.env.CHORUS_METRICS;
  switchMetrics(true);
});

describe("CHORUS_METRICS=off", () => {
  it("is parsed from the environment (on unless it says off)", () => {
    expect(parseEnv({ CHORUS_METRICS: "off" }).CHORUS_METRICS).toBe(false);
    expect(parseEnv({ CHORUS_METRICS: "on" }).CHORUS_METRICS).toBe(true);
    expect(parseEnv({}).CHORUS_METRICS).toBe(true);
    expect(() => parseEnv({ CHORUS_METRICS: "no" })).toThrow(/CHORUS_METRICS/);
  });

  it("answers the scrape with a JSON 404 saying metrics are off", async () => {
    const answer = await fetch(`${api.baseURL}/api/metrics`);
    expect(answer.status).toBe(404);
    expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await answer.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("not_found");
    expect(body.error.message).toMatch(/metrics are off.*CHORUS_METRICS=off/i);
  });

  it("still refuses a scraper it would refuse with metrics on, before saying they are off", async () => {
    process.env.CHORUS_METRICS_TOKEN = "a-metrics-token-of-16+";
    try {
      expect((await fetch(`${api.baseURL}/api/metrics`)).status).toBe(401);
    } finally {
      delete process.env.CHORUS_METRICS_TOKEN;
    }
  });

  it("runs tasks as ever and counts nothing while they run", async () => {
    const { team } = await createTeamWithMembers();
    const { key } = await createApiKey({ teamId: team.id, role: "admin", name: "metrics off" });
    const requests = { route: "/api/v1/tasks", method: "POST", status: "201" };
    const before = {
      requests: await valueOf("http_requests_total", requests),
      tasks: await valueOf("chorus_tasks_finished_total", { status: "completed" }),
      agents: await valueOf("chorus_agent_executions_total", { status: "completed" }),
      calls: await valueOf("chorus_model_calls_total", { outcome: "completed" }),
    };
    const created = await fetch(`${api.baseURL}/api/v1/tasks`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: THREE_AGENT_PROMPT }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(await waitForTaskStatus(id, ["completed", "failed"])).toBe("completed");
    const { settleUsageRecords } = await import("@/server/llm/usage-recording");
    await settleUsageRecords();

    expect(await valueOf("http_requests_total", requests)).toBe(before.requests);
    expect(await valueOf("chorus_tasks_finished_total", { status: "completed" })).toBe(before.tasks);
    expect(await valueOf("chorus_agent_executions_total", { status: "completed" })).toBe(before.agents);
    expect(await valueOf("chorus_model_calls_total", { outcome: "completed" })).toBe(before.calls);

    // Switched back on, the same work is counted: the check above would see it.
    switchMetrics(true);
    const again = await fetch(`${api.baseURL}/api/v1/tasks`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: THREE_AGENT_PROMPT }),
    });
    expect(again.status).toBe(201);
    await waitForTaskStatus(((await again.json()) as { id: string }).id, ["completed"]);
    expect(await valueOf("http_requests_total", requests)).toBe(before.requests + 1);
    expect(await valueOf("chorus_tasks_finished_total", { status: "completed" })).toBe(before.tasks + 1);
  });
});
