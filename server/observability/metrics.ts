/**
 * Chorus's Prometheus metrics (prom-client, its global registry): what the rest of the code
 * counts, and the scrape-time readings the layers above plug in (`provideMetricsSource`) — the
 * executor, the database pool, the tasks active now — since this foundation module may import
 * none of them. Every metric and label is listed in docs/operations.md; labels take bounded
 * values only (a route table's pattern, never a raw URL). With CHORUS_METRICS=off
 * (metrics-switch.ts) every count below returns at once.
 */
import client from "prom-client";
import { metricsOff } from "./metrics-switch";

/** Reuses a metric already registered: Next's bundle and the Node entry may each load this module in one process. */
function metric<T>(name: string, create: () => T): T {
  return (client.register.getSingleMetric(name) as T | undefined) ?? create();
}

/** Readings taken when a scrape asks, from the modules that own them (registered at start-up). */
export interface MetricsSources {
  /** The embedded executor's counters and what it holds now. */
  executor: () => {
    runsClaimed: number;
    runsCompleted: number;
    runsFailed: number;
    stepsPersisted: number;
    persistMs: number;
    retriesScheduled: number;
    leasesLost: number;
    runsInProgress: number;
    oldestLeaseHeldMs: number;
  };
  /** Runs waiting to be claimed, and how long the oldest has waited (every worker's, from the database). */
  executorQueue: () => Promise<{ depth: number; oldestWaitSeconds: number }>;
  /** The pg Pool's connections. */
  databasePool: () => { total: number; idle: number; waiting: number };
  /** Tasks not yet finished, by status (the whole instance, from the database). */
  activeTasks: () => Promise<Record<string, number>>;
  /** The largest share of its monthly budget any team has spent this month (0 when no team has a budget). */
  teamBudgetMaxUsedRatio: () => Promise<number>;
}

const sources: Partial<MetricsSources> = {};

/** Plugs in one reading; a later call replaces it (a restarted executor). */
export function provideMetricsSource<K extends keyof MetricsSources>(name: K, source: MetricsSources[K]): void {
  sources[name] = source;
}

/** A reading failed (the database is down): the scrape still answers, without that metric's values. */
async function read<T>(source: (() => T | Promise<T>) | undefined): Promise<T | undefined> {
  try {
    return source ? await source() : undefined;
  } catch {
    return undefined;
  }
}

// Node's own process metrics (CPU, memory, event-loop lag, GC, handles), once per process, unless metrics are off.
if (!metricsOff() && !client.register.getSingleMetric("process_cpu_seconds_total")) client.collectDefaultMetrics();

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LONG_SECONDS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

const httpRequests = metric(
  "http_requests_total",
  () => new client.Counter({ name: "http_requests_total", help: "HTTP requests answered", labelNames: ["route", "method", "status"] }),
);
const httpDuration = metric(
  "http_request_duration_seconds",
  () =>
    new client.Histogram({
      name: "http_request_duration_seconds",
      help: "Time from a request's arrival to the end of its answer (an event stream: to its close)",
      labelNames: ["route", "method", "status"],
      buckets: SECONDS,
    }),
);

/** One answered request, labelled by the route's pattern (`/api/v1/tasks/:id`), never the raw path. */
export function countHttpRequest(route: string, method: string, status: number, seconds: number): void {
  if (metricsOff()) return;
  const labels = { route, method, status: String(status) };
  httpRequests.inc(labels);
  httpDuration.observe(labels, seconds);
}

const openStreams = metric(
  "chorus_sse_open_streams",
  () => new client.Gauge({ name: "chorus_sse_open_streams", help: "Server-Sent Event streams open now" }),
);

/** Counts an event stream as open until the returned function is called (once). */
export function countOpenStream(): () => void {
  if (metricsOff()) return () => {};
  openStreams.inc();
  let closed = false;
  return () => {
    if (closed) return;
    closed = true;
    openStreams.dec();
  };
}

const slowStreamsDropped = metric(
  "chorus_sse_slow_streams_dropped_total",
  () =>
    new client.Counter({
      name: "chorus_sse_slow_streams_dropped_total",
      help: "Event streams ended because the client fell too far behind (it resumes with Last-Event-ID)",
    }),
);

/** One event stream ended for a client that stopped reading. */
export function countSlowStreamDropped(): void {
  slowStreamsDropped.inc();
}

const tasksFinished = metric(
  "chorus_tasks_finished_total",
  () => new client.Counter({ name: "chorus_tasks_finished_total", help: "Tasks that reached a final status", labelNames: ["status"] }),
);
const taskDuration = metric(
  "chorus_task_duration_seconds",
  () =>
    new client.Histogram({
      name: "chorus_task_duration_seconds",
      help: "From a task's creation to its final status",
      labelNames: ["status"],
      buckets: LONG_SECONDS,
    }),
);

/** A task reached its final status (`completed`, `failed`, `cancelled`, `budget_exceeded`). */
export function countTaskFinished(status: string, seconds?: number): void {
  if (metricsOff()) return;
  tasksFinished.inc({ status });
  if (seconds !== undefined && Number.isFinite(seconds) && seconds >= 0) taskDuration.observe({ status }, seconds);
}

const executionsFinished = metric(
  "chorus_agent_executions_total",
  () =>
    new client.Counter({
      name: "chorus_agent_executions_total",
      help: "Agent step attempts that ended, by agent kind and final status",
      labelNames: ["agent_kind", "status"],
    }),
);
const executionDuration = metric(
  "chorus_agent_execution_duration_seconds",
  () =>
    new client.Histogram({
      name: "chorus_agent_execution_duration_seconds",
      help: "How long an agent step attempt ran",
      labelNames: ["agent_kind", "status"],
      buckets: LONG_SECONDS,
    }),
);

/** An agent step attempt ended (`completed`, `failed`, `cancelled`). */
export function countAgentExecution(agentKind: string, status: string, seconds?: number): void {
  if (metricsOff()) return;
  const labels = { agent_kind: agentKind, status };
  executionsFinished.inc(labels);
  if (seconds !== undefined && Number.isFinite(seconds) && seconds >= 0) executionDuration.observe(labels, seconds);
}

const modelTokens = metric(
  "chorus_model_tokens_total",
  () =>
    new client.Counter({
      name: "chorus_model_tokens_total",
      help: "Model tokens, by provider, model and type (input, output, cached_input, reasoning)",
      labelNames: ["provider", "model", "type"],
    }),
);
const modelCost = metric(
  "chorus_model_cost_usd_total",
  () => new client.Counter({ name: "chorus_model_cost_usd_total", help: "Model spend in US dollars", labelNames: ["provider", "model"] }),
);
const modelCalls = metric(
  "chorus_model_calls_total",
  () =>
    new client.Counter({
      name: "chorus_model_calls_total",
      help: "Model calls, by provider, model and outcome",
      labelNames: ["provider", "model", "outcome"],
    }),
);

/** One model call as its usage row records it (the metrics and the trace's model-call span read it alike). */
export interface RecordedModelCall {
  provider: string;
  modelId: string;
  outcome: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  /** null: the model's price is unknown. */
  costUsd: number | null;
}

/** One model call as its usage row records it. */
export function countModelCall(call: RecordedModelCall): void {
  if (metricsOff()) return;
  const model = { provider: call.provider, model: call.modelId };
  modelCalls.inc({ ...model, outcome: call.outcome });
  const tokens: [string, number][] = [
    ["input", call.inputTokens],
    ["output", call.outputTokens],
    ["cached_input", call.cachedInputTokens],
    ["reasoning", call.reasoningTokens],
  ];
  for (const [type, count] of tokens) if (count > 0) modelTokens.inc({ ...model, type }, count);
  if (call.costUsd !== null && call.costUsd > 0) modelCost.inc(model, call.costUsd);
}

const cacheRequests = metric(
  "chorus_model_cache_requests_total",
  () =>
    new client.Counter({
      name: "chorus_model_cache_requests_total",
      help: "Response-cache lookups: hits (from memory or the shared store) and misses",
      labelNames: ["result", "from"],
    }),
);

export function countModelCacheLookup(result: "hit" | "miss", from?: "memory" | "store"): void {
  if (metricsOff()) return;
  cacheRequests.inc({ result, from: from ?? "" });
}

const breakerState = metric(
  "chorus_model_breaker_state",
  () =>
    new client.Gauge({
      name: "chorus_model_breaker_state",
      help: "Each model key's circuit breaker as this process sees it: 0 closed, 1 half-open, 2 open",
      labelNames: ["model_key"],
      aggregator: "max",
    }),
);

export function setBreakerState(modelKey: string, state: "closed" | "half-open" | "open"): void {
  if (metricsOff()) return;
  breakerState.set({ model_key: modelKey }, state === "open" ? 2 : state === "half-open" ? 1 : 0);
}

const rateLimitRejections = metric(
  "chorus_rate_limit_rejections_total",
  () =>
    new client.Counter({
      name: "chorus_rate_limit_rejections_total",
      help: "Requests refused by a rate limit (429)",
      labelNames: ["tier"],
    }),
);

export function countRateLimitRejection(tier: string): void {
  if (metricsOff()) return;
  rateLimitRejections.inc({ tier });
}

const prunedRows = metric(
  "chorus_retention_pruned_rows_total",
  () =>
    new client.Counter({
      name: "chorus_retention_pruned_rows_total",
      help: "Old rows deleted by retention (docs/operations.md#retention), by kind",
      labelNames: ["kind"],
    }),
);

/** Rows of one kind (run_events, workflow_runs, webhook_deliveries, audit_events) a prune deleted. */
export function countPrunedRows(kind: string, rows: number): void {
  prunedRows.inc({ kind }, rows);
}

// ── read at scrape time ────────────────────────────────────────────────────────────────

metric(
  "chorus_active_tasks",
  () =>
    new client.Gauge({
      name: "chorus_active_tasks",
      help: "Tasks not finished yet, by status (the whole instance)",
      labelNames: ["status"],
      // Every worker reads the same database: the cluster's value is any one worker's, not their sum.
      aggregator: "max",
      async collect() {
        const counts = await read(sources.activeTasks);
        this.reset();
        for (const [status, count] of Object.entries(counts ?? {})) this.set({ status }, count);
      },
    }),
);

// One number for the whole instance, never a team's id: the alert says "a team is near its
// budget"; which one is in the dashboard's usage page (docs/model-usage.md#budgets).
metric(
  "chorus_team_budget_max_used_ratio",
  () =>
    new client.Gauge({
      name: "chorus_team_budget_max_used_ratio",
      help: "The largest share of its monthly model budget any team has spent this month (1 = all of it)",
      aggregator: "max",
      async collect() {
        const ratio = await read(sources.teamBudgetMaxUsedRatio);
        if (ratio !== undefined) this.set(ratio);
      },
    }),
);

metric(
  "chorus_db_pool_connections",
  () =>
    new client.Gauge({
      name: "chorus_db_pool_connections",
      help: "The database pool's connections: total open, idle, and clients waiting for one",
      labelNames: ["state"],
      async collect() {
        const pool = await read(sources.databasePool);
        this.reset();
        if (!pool) return;
        this.set({ state: "total" }, pool.total);
        this.set({ state: "idle" }, pool.idle);
        this.set({ state: "waiting" }, pool.waiting);
      },
    }),
);

metric(
  "chorus_executor_queue_depth",
  () =>
    new client.Gauge({
      name: "chorus_executor_queue_depth",
      help: "Workflow runs ready to run and not yet claimed by any worker",
      aggregator: "max",
      async collect() {
        const queue = await read(sources.executorQueue);
        if (queue) this.set(queue.depth);
      },
    }),
);

metric(
  "chorus_executor_queue_oldest_wait_seconds",
  () =>
    new client.Gauge({
      name: "chorus_executor_queue_oldest_wait_seconds",
      help: "How long the oldest unclaimed ready run has waited (executor lag)",
      aggregator: "max",
      async collect() {
        const queue = await read(sources.executorQueue);
        if (queue) this.set(queue.oldestWaitSeconds);
      },
    }),
);

/** The executor's cumulative counters, as Prometheus counters (reset and set to the reading at each scrape). */
const executorCounters: [string, string, (stats: ReturnType<MetricsSources["executor"]>) => number][] = [
  ["chorus_executor_runs_claimed_total", "Workflow runs this process's executor claimed", (stats) => stats.runsClaimed],
  ["chorus_executor_runs_completed_total", "Workflow runs that completed", (stats) => stats.runsCompleted],
  ["chorus_executor_runs_failed_total", "Workflow runs that failed for good", (stats) => stats.runsFailed],
  ["chorus_executor_steps_persisted_total", "Step results written to the database", (stats) => stats.stepsPersisted],
  [
    "chorus_executor_step_persist_seconds_total",
    "Time spent writing step results, summed (divide by steps persisted for the mean step latency)",
    (stats) => stats.persistMs / 1000,
  ],
  ["chorus_executor_retries_total", "Step retries scheduled", (stats) => stats.retriesScheduled],
  ["chorus_executor_leases_lost_total", "Run leases lost to another worker or an expiry", (stats) => stats.leasesLost],
];
for (const [name, help, value] of executorCounters) {
  metric(
    name,
    () =>
      new client.Counter({
        name,
        help,
        collect() {
          const stats = sources.executor?.();
          this.reset();
          if (stats) this.inc(value(stats));
        },
      }),
  );
}

metric(
  "chorus_executor_runs_in_progress",
  () =>
    new client.Gauge({
      name: "chorus_executor_runs_in_progress",
      help: "Workflow runs this process's executor is driving now",
      collect() {
        this.set(sources.executor?.().runsInProgress ?? 0);
      },
    }),
);

metric(
  "chorus_executor_oldest_lease_seconds",
  () =>
    new client.Gauge({
      name: "chorus_executor_oldest_lease_seconds",
      help: "How long the run held longest by this process's executor has been held (lease age)",
      aggregator: "max",
      collect() {
        this.set((sources.executor?.().oldestLeaseHeldMs ?? 0) / 1000);
      },
    }),
);

/** The Prometheus text of this process's metrics, and its content type. */
export async function renderMetrics(): Promise<{ text: string; contentType: string }> {
  return { text: await client.register.metrics(), contentType: client.register.contentType };
}
