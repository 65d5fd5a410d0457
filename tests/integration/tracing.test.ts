import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { parseEnv } from "@/server/env";
import { settleUsageRecords } from "@/server/llm/usage-recording";
import { flushTraces, startTracing, stopTracing, taskSpanId, tracingEnabled } from "@/server/observability/tracing";
import { tracingConfigOf } from "@/server/runtime/observability";
import { useApiServer } from "../support/api-server";
import { until } from "../support/executor-helpers";
import { createTeamWithMembers, THREE_AGENT_PROMPT, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { startOtlpCollector, type OtlpCollector, type ReceivedSpan } from "../support/otlp-collector";

/**
 * Tracing end to end (docs/operations.md#tracing): a task submitted through the REST API, with
 * tracing configured as OTEL_EXPORTER_OTLP_ENDPOINT configures it, exports its spans over
 * OTLP/HTTP to a local collector speaking the real wire format (JSON encoding) — the request's
 * server span, the task, each step and agent attempt, each model call with its tokens, the
 * database queries — in one trace whose id the task's JSON and the log lines carry. Without the
 * configuration nothing is traced and nothing carries a trace id.
 */
const api = useApiServer();
useEmbeddedExecutor(8);
let collector: OtlpCollector;
let auth: Record<string, string>;

const SERVER = 2;
const CLIENT = 3;

beforeAll(async () => {
  collector = await startOtlpCollector();
  // The configuration an operator's environment gives (server/env.ts → server/runtime/observability.ts).
  const config = tracingConfigOf(
    parseEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_SERVICE_NAME: "chorus-test",
      OTEL_EXPORTER_OTLP_HEADERS: "x-collector-key=k-123",
    }),
  );
  await startTracing(config!);
  const { team } = await createTeamWithMembers();
  const { key } = await createApiKey({ teamId: team.id, role: "admin", name: "trace test" });
  auth = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
});
afterAll(async () => {
  await stopTracing();
  await collector.close();
});

/** Captures the JSON log lines written to stdout/stderr while `work` runs. */
async function captureLogLines<T>(work: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const written: string[] = [];
  const original = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  const capture = (chunk: unknown) => (written.push(String(chunk)), true);
  const level = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = "debug";
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    return { result: await work(), lines: written.flatMap((text) => text.split("\n")).flatMap(parseJsonLine) };
  } finally {
    process.stdout.write = original.out;
    process.stderr.write = original.err;
    if (level === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = level;
  }
}

function parseJsonLine(line: string): Record<string, unknown>[] {
  try {
    const parsed = JSON.parse(line) as unknown;
    return typeof parsed === "object" && parsed !== null ? [parsed as Record<string, unknown>] : [];
  } catch {
    return [];
  }
}

async function runTask(headers: Record<string, string> = {}) {
  const created = await fetch(`${api.baseURL}/api/v1/tasks`, {
    method: "POST",
    headers: { ...auth, ...headers },
    body: JSON.stringify({ prompt: THREE_AGENT_PROMPT }),
  });
  expect(created.status).toBe(201);
  const task = (await created.json()) as { id: string; traceId: string | null };
  expect(await waitForTaskStatus(task.id, ["completed", "failed"])).toBe("completed");
  // The model calls' spans end with their usage rows, written just after the stream ends.
  await settleUsageRecords();
  return { task, requestId: created.headers.get("x-request-id") };
}

/**
 * The spans of a trace, once the task's own span (written as it finishes) and any `alsoNamed` have
 * arrived: the aggregate step's span ends when its step returns, which can be just after the task
 * is marked finished and its span written (CI saw the trace read in between).
 */
async function spansOfTrace(traceId: string, alsoNamed: string[] = []): Promise<ReceivedSpan[]> {
  return until(
    async () => {
      await flushTraces();
      const spans = collector.spans.filter((span) => span.traceId === traceId);
      const names = new Set(spans.map((span) => span.name));
      return names.has("chorus.task") && alsoNamed.every((name) => names.has(name)) && spans;
    },
    10_000,
    "the task's span to be exported",
  );
}

describe("with OTEL_EXPORTER_OTLP_ENDPOINT set", () => {
  it("exports one trace per task: the request, the task, its steps, its model calls and its queries", async () => {
    const { task } = await runTask();
    expect(task.traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = await spansOfTrace(task.traceId!, ["aggregate"]);
    const named = (name: string) => spans.filter((span) => span.name === name);

    // The request's server span, named by the route's pattern.
    const [post] = named("POST /api/v1/tasks");
    expect(post).toBeDefined();
    expect(post!.kind).toBe(SERVER);
    expect(post!.parentSpanId).toBeUndefined();
    expect(post!.attributes).toMatchObject({
      "http.route": "/api/v1/tasks",
      "http.request.method": "POST",
      "http.response.status_code": 201,
    });

    // The task's span, under the request that created it, with the id its steps point at.
    const [taskSpan] = named("chorus.task");
    expect(taskSpan).toBeDefined();
    expect(taskSpan!.spanId).toBe(taskSpanId(task.id));
    expect(taskSpan!.parentSpanId).toBe(post!.spanId);
    expect(taskSpan!.attributes).toMatchObject({ "chorus.task.id": task.id, "chorus.task.status": "completed" });
    expect(taskSpan!.attributes["chorus.team.id"]).toEqual(expect.any(String));
    expect(BigInt(taskSpan!.endTimeUnixNano)).toBeGreaterThan(BigInt(taskSpan!.startTimeUnixNano));

    // Each coordinator step and each agent attempt, children of the task's span.
    const steps = [...named("plan"), ...named("aggregate"), ...spans.filter((span) => span.name.startsWith("agent "))];
    expect(steps.map((span) => span.name).sort()).toEqual(["agent analysis", "agent research", "agent synthesis", "aggregate", "plan"]);
    for (const step of steps) {
      expect(step.parentSpanId, step.name).toBe(taskSpan!.spanId);
      expect(step.attributes["chorus.task.id"], step.name).toBe(task.id);
    }
    for (const kind of ["research", "analysis", "synthesis"]) {
      const [agent] = named(`agent ${kind}`);
      expect(agent!.attributes).toMatchObject({ "chorus.step.id": kind, "chorus.agent.kind": kind, "chorus.attempt": 1 });
    }

    // Each model call, a child of the step that made it, with its tokens.
    const stepIds = new Set(steps.map((span) => span.spanId));
    const calls = spans.filter((span) => span.attributes["gen_ai.operation.name"] === "chat");
    expect(calls.length).toBeGreaterThanOrEqual(4);
    for (const call of calls) {
      expect(call.kind).toBe(CLIENT);
      expect(stepIds.has(call.parentSpanId!), call.name).toBe(true);
      expect(call.attributes["gen_ai.request.model"]).toEqual(expect.any(String));
      expect(call.attributes["gen_ai.provider.name"]).toEqual(expect.any(String));
      expect(call.attributes["gen_ai.usage.input_tokens"]).toBeGreaterThan(0);
      expect(call.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
      expect(call.attributes["chorus.model.cached"]).toBe(false);
      expect(call.attributes["chorus.model.outcome"]).toBe("completed");
    }
    // The planner's call and each agent's (aggregation of a synthesis step's output calls no model).
    for (const step of steps.filter((span) => span.name !== "aggregate")) {
      expect(
        calls.some((call) => call.parentSpanId === step.spanId),
        `a model call under ${step.name}`,
      ).toBe(true);
    }

    // Database queries, under the request and under the steps (pg's instrumentation).
    const queries = spans.filter((span) => span.attributes["db.system.name"] === "postgresql" && span.attributes["db.query.text"]);
    expect(queries.some((query) => query.parentSpanId === post!.spanId)).toBe(true);
    expect(queries.some((query) => stepIds.has(query.parentSpanId!))).toBe(true);
    expect(queries.some((query) => String(query.attributes["db.query.text"]).includes('INSERT INTO "Task"'))).toBe(true);

    // The Inngest SDK's span per replay is not exported in embedded mode (a root span per step of every task).
    expect(collector.spans.some((span) => span.name === "inngest.execution")).toBe(false);
    // Every export carried the configured headers and the service's resource.
    expect(collector.refused).toBe(0);
    expect(collector.exports.every((headers) => headers["x-collector-key"] === "k-123")).toBe(true);
    expect(taskSpan!.resource).toMatchObject({ "service.name": "chorus-test", "service.version": expect.any(String) });
  });

  it("puts the trace id in the task's JSON and on the log lines written for it", async () => {
    const { result, lines } = await captureLogLines(() => runTask());
    const { task, requestId } = result;
    const view = await fetch(`${api.baseURL}/api/v1/tasks/${task.id}`, { headers: auth });
    expect(((await view.json()) as { traceId: string }).traceId).toBe(task.traceId);

    const ofRequest = lines.filter((line) => line.requestId === requestId);
    expect(ofRequest.length).toBeGreaterThan(0);
    for (const line of ofRequest) expect(line.traceId, String(line.message)).toBe(task.traceId);
    expect(lines.find((line) => line.message === "request answered" && line.route === "/api/v1/tasks")?.traceId).toBe(task.traceId);
  });

  it("continues a trace the caller started (W3C traceparent), and names reads by their route", async () => {
    const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const callerSpan = "00f067aa0ba902b7";
    const { task } = await runTask({ traceparent: `00-${callerTrace}-${callerSpan}-01` });
    expect(task.traceId).toBe(callerTrace);
    await fetch(`${api.baseURL}/api/v1/tasks/${task.id}`, { headers: auth });
    const spans = await spansOfTrace(callerTrace);
    expect(spans.find((span) => span.name === "POST /api/v1/tasks")?.parentSpanId).toBe(callerSpan);

    await flushTraces();
    const reads = collector.spans.filter((span) => span.attributes["url.path"] === `/api/v1/tasks/${task.id}`);
    expect(reads.length).toBeGreaterThan(0);
    // The span's name is the route's pattern, never the task's id.
    for (const read of reads) expect(read.name).toBe("GET /api/v1/tasks/:id");
  });

  it("writes the span of a task a member cancels", async () => {
    const created = await fetch(`${api.baseURL}/api/v1/tasks`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ prompt: THREE_AGENT_PROMPT, requireApproval: true }),
    });
    const task = (await created.json()) as { id: string; traceId: string };
    await waitForTaskStatus(task.id, ["awaiting_approval"]);
    expect((await fetch(`${api.baseURL}/api/v1/tasks/${task.id}/cancel`, { method: "POST", headers: auth })).status).toBe(200);
    const spans = await spansOfTrace(task.traceId);
    const taskSpan = spans.find((span) => span.name === "chorus.task");
    expect(taskSpan).toMatchObject({ spanId: taskSpanId(task.id), attributes: { "chorus.task.status": "cancelled" } });
    // The cancel is a request of its own, in a trace of its own (the span ends as its response closes).
    await until(
      async () => {
        await flushTraces();
        return collector.spans.some(
          (span) => span.name === "POST /api/v1/tasks/:id/cancel" && span.attributes["url.path"] === `/api/v1/tasks/${task.id}/cancel`,
        );
      },
      10_000,
      "the cancel request's span",
    );
    // The plan was made before the wait: its step span is in the task's trace, under the task.
    expect(spans.find((span) => span.name === "plan")?.parentSpanId).toBe(taskSpan!.spanId);
  });

  it("leaves health probes and metric scrapes untraced", async () => {
    await flushTraces();
    const before = collector.spans.length;
    expect((await fetch(`${api.baseURL}/api/health/live`)).status).toBe(200);
    await fetch(`${api.baseURL}/api/metrics`);
    await flushTraces();
    expect(collector.spans.slice(before).filter((span) => span.kind === SERVER)).toEqual([]);
  });
});

describe("without OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  beforeAll(() => stopTracing());
  afterEach(() => expect(tracingEnabled()).toBe(false));

  it("configures no tracing at all", () => {
    expect(tracingConfigOf(parseEnv({}))).toBeUndefined();
  });

  it("exports no span, stores no trace id and logs none", async () => {
    const before = collector.spans.length;
    const { result, lines } = await captureLogLines(() => runTask());
    expect(result.task.traceId).toBeNull();
    const view = await fetch(`${api.baseURL}/api/v1/tasks/${result.task.id}`, { headers: auth });
    expect(((await view.json()) as { traceId: string | null }).traceId).toBeNull();
    expect(lines.filter((line) => line.requestId === result.requestId).length).toBeGreaterThan(0);
    expect(lines.filter((line) => "traceId" in line)).toEqual([]);
    expect(collector.spans.length).toBe(before);
  });
});
