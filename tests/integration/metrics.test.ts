import { afterEach, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { useApiServer } from "../support/api-server";
import { until } from "../support/executor-helpers";
import { createTeamWithMembers, THREE_AGENT_PROMPT, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { parsePrometheusText, sumOf } from "../support/prometheus-text";

/**
 * `GET /api/metrics` on the real front door and database: Prometheus text that parses, whose
 * values move as a real task runs through the REST API (requests by route pattern, tasks and
 * agent executions by status with durations, model tokens, the executor's counters, tasks
 * active now, open event streams), guarded by CHORUS_METRICS_TOKEN when it is set and by
 * "this machine, no proxy" when it is not.
 */
const api = useApiServer();
useEmbeddedExecutor(8);

afterEach(() => {
  delete process.env.CHORUS_METRICS_TOKEN;
  delete process.env.CHORUS_RATE_LIMIT_READ;
});

async function scrape(headers: Record<string, string> = {}) {
  const answer = await fetch(`${api.baseURL}/api/metrics`, { headers });
  expect(answer.status).toBe(200);
  expect(answer.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await answer.text());
}

describe("the metrics endpoint", () => {
  it("answers Prometheus text whose values change as a task runs", async () => {
    const { team } = await createTeamWithMembers();
    const { key } = await createApiKey({ teamId: team.id, role: "admin", name: "metrics test" });
    const auth = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };

    const before = (await scrape()).samples;
    const created = await fetch(`${api.baseURL}/api/v1/tasks`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ prompt: THREE_AGENT_PROMPT }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(await waitForTaskStatus(id, ["completed", "failed"])).toBe("completed");
    // The task's row is final before its model calls' usage is counted: wait for the executor to finish the runs.
    const { types, samples: after } = await until(
      async () => {
        const scraped = await scrape();
        return (
          sumOf(scraped.samples, "chorus_executor_runs_completed_total") >= sumOf(before, "chorus_executor_runs_completed_total") + 4 &&
          scraped
        );
      },
      10_000,
      "the executor to count the task's runs",
    );

    const grew = (name: string, labels: Record<string, string> = {}) => sumOf(after, name, labels) - sumOf(before, name, labels);
    // Requests by the route table's pattern, never the raw path.
    expect(grew("http_requests_total", { route: "/api/v1/tasks", method: "POST", status: "201" })).toBe(1);
    expect(grew("http_request_duration_seconds_count", { route: "/api/v1/tasks", method: "POST", status: "201" })).toBe(1);
    expect(after.some((sample) => sample.labels.route?.includes(id))).toBe(false);
    // The task and its three agent steps, by final status, with durations.
    expect(grew("chorus_tasks_finished_total", { status: "completed" })).toBe(1);
    expect(grew("chorus_task_duration_seconds_count", { status: "completed" })).toBe(1);
    expect(grew("chorus_task_duration_seconds_sum", { status: "completed" })).toBeGreaterThan(0);
    for (const kind of ["research", "analysis", "synthesis"]) {
      expect(grew("chorus_agent_executions_total", { agent_kind: kind, status: "completed" }), kind).toBeGreaterThanOrEqual(1);
      expect(grew("chorus_agent_execution_duration_seconds_count", { agent_kind: kind, status: "completed" }), kind).toBeGreaterThanOrEqual(
        1,
      );
    }
    // Model tokens by provider and model, from the usage rows' counts.
    expect(grew("chorus_model_tokens_total", { type: "output" })).toBeGreaterThan(0);
    expect(grew("chorus_model_calls_total", { outcome: "completed" })).toBeGreaterThanOrEqual(4);
    // The executor's counters, read from it at the scrape.
    expect(grew("chorus_executor_steps_persisted_total")).toBeGreaterThan(0);

    // Every family the operations docs list is there, with its type.
    const expected: Record<string, string> = {
      http_requests_total: "counter",
      http_request_duration_seconds: "histogram",
      chorus_active_tasks: "gauge",
      chorus_tasks_finished_total: "counter",
      chorus_task_duration_seconds: "histogram",
      chorus_agent_executions_total: "counter",
      chorus_agent_execution_duration_seconds: "histogram",
      chorus_model_tokens_total: "counter",
      chorus_model_cost_usd_total: "counter",
      chorus_model_calls_total: "counter",
      chorus_model_cache_requests_total: "counter",
      chorus_model_breaker_state: "gauge",
      chorus_rate_limit_rejections_total: "counter",
      chorus_executor_queue_depth: "gauge",
      chorus_executor_queue_oldest_wait_seconds: "gauge",
      chorus_executor_runs_in_progress: "gauge",
      chorus_executor_oldest_lease_seconds: "gauge",
      chorus_executor_runs_completed_total: "counter",
      chorus_executor_step_persist_seconds_total: "counter",
      chorus_db_pool_connections: "gauge",
      chorus_sse_open_streams: "gauge",
      process_cpu_seconds_total: "counter",
      nodejs_eventloop_lag_seconds: "gauge",
    };
    for (const [name, type] of Object.entries(expected)) expect(types.get(name), name).toBe(type);
    expect(sumOf(after, "chorus_db_pool_connections", { state: "total" })).toBeGreaterThan(0);
  });

  it("counts tasks active now and open event streams", async () => {
    const { team } = await createTeamWithMembers();
    const { key } = await createApiKey({ teamId: team.id, role: "admin", name: "metrics test" });
    const auth = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
    const before = (await scrape()).samples;
    const created = await fetch(`${api.baseURL}/api/v1/tasks`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ prompt: THREE_AGENT_PROMPT, requireApproval: true }),
    });
    const { id } = (await created.json()) as { id: string };
    await waitForTaskStatus(id, ["awaiting_approval"]);
    const stream = await fetch(`${api.baseURL}/api/tasks/${id}/events`, { headers: auth });
    expect(stream.status).toBe(200);

    const during = (await scrape()).samples;
    expect(sumOf(during, "chorus_active_tasks", { status: "awaiting_approval" })).toBe(
      sumOf(before, "chorus_active_tasks", { status: "awaiting_approval" }) + 1,
    );
    expect(sumOf(during, "chorus_sse_open_streams")).toBe(sumOf(before, "chorus_sse_open_streams") + 1);

    await stream.body!.cancel();
    const rejected = await fetch(`${api.baseURL}/api/v1/tasks/${id}/reject`, { method: "POST", headers: auth, body: "{}" });
    expect(rejected.status).toBe(200);
    const settled = await until(
      async () => {
        const { samples } = await scrape();
        return sumOf(samples, "chorus_sse_open_streams") === sumOf(before, "chorus_sse_open_streams") && samples;
      },
      10_000,
      "the closed stream to be counted out",
    );
    expect(sumOf(settled, "chorus_active_tasks", { status: "awaiting_approval" })).toBe(
      sumOf(before, "chorus_active_tasks", { status: "awaiting_approval" }),
    );
    expect(sumOf(settled, "chorus_tasks_finished_total", { status: "cancelled" })).toBe(
      sumOf(before, "chorus_tasks_finished_total", { status: "cancelled" }) + 1,
    );
  });

  it("counts rate-limit rejections by tier", async () => {
    const { team } = await createTeamWithMembers();
    const { key } = await createApiKey({ teamId: team.id, role: "viewer", name: "metrics test" });
    process.env.CHORUS_RATE_LIMIT_READ = "2/1m";
    const before = (await scrape()).samples;
    const statuses: number[] = [];
    for (let index = 0; index < 3; index++) {
      statuses.push((await fetch(`${api.baseURL}/api/v1/tasks`, { headers: { Authorization: `Bearer ${key}` } })).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    const after = (await scrape()).samples;
    expect(
      sumOf(after, "chorus_rate_limit_rejections_total", { tier: "read" }) -
        sumOf(before, "chorus_rate_limit_rejections_total", { tier: "read" }),
    ).toBe(1);
    expect(sumOf(after, "http_requests_total", { route: "/api/v1/tasks", method: "GET", status: "429" })).toBeGreaterThanOrEqual(1);
  });

  it("asks for the bearer token when CHORUS_METRICS_TOKEN is set", async () => {
    process.env.CHORUS_METRICS_TOKEN = "metrics-token-0123456789";
    for (const headers of <Record<string, string>[]>[
      {},
      { Authorization: "Bearer metrics-token-wrong-0000" },
      { Authorization: "Basic bWV0cmljcw==" },
    ]) {
      const refused = await fetch(`${api.baseURL}/api/metrics`, { headers });
      expect(refused.status).toBe(401);
      expect(refused.headers.get("content-type")).toMatch(/^application\/json/);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    }
    const { samples } = await scrape({ Authorization: "Bearer metrics-token-0123456789" });
    expect(sumOf(samples, "process_cpu_seconds_total")).toBeGreaterThan(0);
  });

  it("without a token, answers only to this machine and not through a proxy", async () => {
    await scrape();
    for (const headers of <Record<string, string>[]>[{ "X-Forwarded-For": "203.0.113.9" }, { Forwarded: "for=203.0.113.9" }]) {
      const refused = await fetch(`${api.baseURL}/api/metrics`, { headers });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/CHORUS_METRICS_TOKEN/);
    }
  });
});
