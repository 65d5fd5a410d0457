/**
 * OpenTelemetry spans for what Chorus does — an HTTP request (named by its route's pattern), a
 * task, each step and agent attempt, each model call — and the trace id for log lines and the
 * task. Only the OpenTelemetry API is imported here: it costs nothing until `startTracing`
 * (given OTEL_EXPORTER_OTLP_ENDPOINT) loads the SDK from trace-export.ts and registers a
 * provider. Until then every function here returns at once, creating nothing.
 *
 * A task outlives the request that created it and runs across many durable steps, possibly in
 * other processes, so its trace travels as data: the creating span's trace id and span id are
 * stored on the task, the trace id rides in the coordinator's event and each agent invocation,
 * and the task's own span id is derived from the task id (`taskSpanId`). Steps parent their
 * spans to that id; the task span itself is written once, when the task reaches its final status,
 * from its creation time to then (`recordTaskSpan`).
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Span,
  type SpanContext,
} from "@opentelemetry/api";
import type { RecordedModelCall } from "./metrics";
import type { TracingConfig } from "./trace-export";

export type { TracingConfig };

interface TracingState {
  /** Exports every finished span buffered now. */
  flush: () => Promise<void>;
  /** Flushes and stops the provider (trace-export.ts). */
  stop: () => Promise<void>;
  /** Span ids the next span must take (recordTaskSpan): read by the provider's id generator. */
  reserved: { traceId?: string; spanId?: string };
}

/** On globalThis: Next's bundle has its own copy of this module, and must see the one provider. */
const STATE = Symbol.for("chorus.tracing");
type GlobalWithTracing = typeof globalThis & { [STATE]?: TracingState };
const shared = globalThis as GlobalWithTracing;

const TRACER = "chorus";
const tracer = () => trace.getTracer(TRACER);

/** Whether spans are being recorded and exported in this process. */
export function tracingEnabled(): boolean {
  return shared[STATE] !== undefined;
}

/**
 * Registers the tracer provider (batching OTLP/HTTP exporter, sampler, resource) and the pg and
 * undici instrumentations; idempotent. Call once at process start, before serving.
 */
export async function startTracing(config: TracingConfig): Promise<void> {
  if (shared[STATE]) return;
  const reserved: TracingState["reserved"] = {};
  const { registerTracerProvider } = await import("./trace-export");
  const { flush, stop } = await registerTracerProvider(config, reserved);
  shared[STATE] = { flush, stop, reserved };
}

/** Exports the finished spans buffered now, without waiting for the next batch (tests, a drain). */
export async function flushTraces(): Promise<void> {
  await shared[STATE]?.flush();
}

/** Exports what is buffered and unregisters the provider (shutdown, tests). */
export async function stopTracing(): Promise<void> {
  const state = shared[STATE];
  if (!state) return;
  shared[STATE] = undefined;
  await state.stop();
}

/** The trace id of the span active now, when tracing is on and it is sampled. */
export function currentTraceId(): string | undefined {
  if (!shared[STATE]) return undefined;
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && spanContext.traceFlags & TraceFlags.SAMPLED ? spanContext.traceId : undefined;
}

// ── HTTP requests ───────────────────────────────────────────────────────────────────────

/** Paths scraped or probed every few seconds: a span each would bury the traces that matter. */
const UNTRACED = /^\/api\/(health(\/|$|\?)|metrics($|\?))/;
const routes = new WeakMap<ServerResponse, () => string | undefined>();

/**
 * Runs `work` (the API's answer to one request) inside a server span that continues the
 * caller's `traceparent`, if any. The span ends when the response closes, named by the route
 * the router matched (`POST /api/v1/tasks`, see nameRequestRoute), never by the raw path.
 */
export function traceIncomingRequest<T>(request: IncomingMessage, response: ServerResponse, work: () => T): T {
  if (!shared[STATE] || UNTRACED.test(request.url ?? "")) return work();
  const method = request.method ?? "GET";
  const parent = propagation.extract(ROOT_CONTEXT, request.headers);
  const span = tracer().startSpan(
    method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        "http.request.method": method,
        "url.path": (request.url ?? "/").split("?")[0],
        "network.peer.address": request.socket.remoteAddress ?? "",
        "user_agent.original": request.headers["user-agent"] ?? "",
      },
    },
    parent,
  );
  response.once("close", () => {
    const route = routes.get(response)?.();
    if (route) {
      span.setAttribute("http.route", route);
      span.updateName(`${method} ${route}`);
    }
    const status = response.headersSent ? response.statusCode : 0;
    span.setAttribute("http.response.status_code", status);
    if (status >= 500 || status === 0) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  return context.with(trace.setSpan(parent, span), work);
}

/** Tells the request's span which route answered it (read when the response closes). */
export function nameRequestRoute(response: ServerResponse, routeOf: () => string | undefined): void {
  if (shared[STATE]) routes.set(response, routeOf);
}

// ── tasks and their steps ───────────────────────────────────────────────────────────────

/** Where a task's trace hangs: the trace, and the span that created the task (stored on the task). */
export interface TaskTraceOrigin {
  traceId: string;
  parentSpanId: string;
}

/** The sampled span active now (the request creating a task), for the task to join its trace. */
export function taskTraceOrigin(): TaskTraceOrigin | undefined {
  if (!shared[STATE]) return undefined;
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !(spanContext.traceFlags & TraceFlags.SAMPLED)) return undefined;
  return { traceId: spanContext.traceId, parentSpanId: spanContext.spanId };
}

/** The task span's id, the same in every process: derived from the task id. */
export function taskSpanId(taskId: string): string {
  const id = createHash("sha256").update(`chorus.task:${taskId}`).digest("hex").slice(0, 16);
  // All zeros is the invalid span id.
  return /^0+$/.test(id) ? "0000000000000001" : id;
}

function remoteParent(traceId: string, spanId: string) {
  const spanContext: SpanContext = { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true };
  return trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

/**
 * Runs one durable step's work (`plan`, an agent's attempt, `aggregate`) inside a span that is a
 * child of its task's span; everything the work does (queries, model calls, log lines) joins it.
 * A task without a trace (created while tracing was off, or not sampled) gets no step spans.
 * In server mode the Inngest SDK's execution span, active here, is linked.
 */
export function traceTaskStep<T>(
  task: { taskId: string; traceId?: string | null },
  name: string,
  attributes: Attributes,
  work: () => Promise<T>,
): Promise<T> {
  if (!shared[STATE] || !task.traceId) return work();
  const engineSpan = trace.getActiveSpan()?.spanContext();
  const links = engineSpan && engineSpan.traceFlags & TraceFlags.SAMPLED ? [{ context: engineSpan }] : [];
  const parent = remoteParent(task.traceId, taskSpanId(task.taskId));
  return tracer().startActiveSpan(
    name,
    { kind: SpanKind.INTERNAL, attributes: { "chorus.task.id": task.taskId, ...attributes }, links },
    parent,
    async (span) => {
      try {
        return await work();
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : undefined });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Writes the task's span when it reaches its final status: from its creation to `endedAt`, with
 * the id every step already used as their parent (taskSpanId), under the span that created it.
 */
export function recordTaskSpan(task: {
  taskId: string;
  teamId: string;
  status: string;
  traceId: string | null;
  parentSpanId: string | null;
  createdAt: Date;
  endedAt: Date;
}): void {
  const state = shared[STATE];
  if (!state || !task.traceId || !task.parentSpanId) return;
  state.reserved.spanId = taskSpanId(task.taskId);
  let span: Span;
  try {
    span = tracer().startSpan(
      "chorus.task",
      {
        kind: SpanKind.INTERNAL,
        startTime: task.createdAt,
        attributes: { "chorus.task.id": task.taskId, "chorus.team.id": task.teamId, "chorus.task.status": task.status },
      },
      remoteParent(task.traceId, task.parentSpanId),
    );
  } finally {
    state.reserved.spanId = undefined;
  }
  if (task.status === "failed") span.setStatus({ code: SpanStatusCode.ERROR });
  span.end(task.endedAt);
}

// ── model calls ─────────────────────────────────────────────────────────────────────────

/** A model call's span, started when the call is made (a child of the step making it). */
export function startModelCallSpan(provider: string, modelId: string): Span | undefined {
  if (!shared[STATE] || !trace.getActiveSpan()) return undefined;
  return tracer().startSpan(`chat ${modelId}`, {
    kind: SpanKind.CLIENT,
    attributes: { "gen_ai.operation.name": "chat", "gen_ai.provider.name": provider, "gen_ai.request.model": modelId },
  });
}

/** Ends a model call's span with what its usage row records (OpenTelemetry's gen_ai.* names where there are some). */
export function endModelCallSpan(
  span: Span | undefined,
  call: Omit<RecordedModelCall, "provider"> & { cached: boolean; estimated: boolean },
  endedAt: Date,
): void {
  if (!span) return;
  span.setAttributes({
    "gen_ai.response.model": call.modelId,
    "gen_ai.usage.input_tokens": call.inputTokens,
    "gen_ai.usage.output_tokens": call.outputTokens,
    "gen_ai.usage.cache_read.input_tokens": call.cachedInputTokens,
    "gen_ai.usage.reasoning.output_tokens": call.reasoningTokens,
    "chorus.model.outcome": call.outcome,
    "chorus.model.cached": call.cached,
    "chorus.model.usage_estimated": call.estimated,
    ...(call.costUsd === null ? {} : { "chorus.model.cost_usd": call.costUsd }),
  });
  if (call.outcome === "failed") span.setStatus({ code: SpanStatusCode.ERROR });
  span.end(endedAt);
}
