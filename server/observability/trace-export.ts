/**
 * The OpenTelemetry SDK, loaded only when tracing is configured (tracing.ts imports this
 * dynamically): a NodeTracerProvider with a batching OTLP/HTTP exporter (JSON), a ratio sampler
 * that follows a sampled parent, the service's resource, and the instrumentations for database
 * queries (pg) and outgoing requests (undici: fetch, which every model provider uses).
 *
 * The instrumentations are applied directly rather than by hooking module loading: Chorus runs
 * as ES modules under tsx (and under vitest in tests), where require hooks do not see `import`,
 * and pg's Client may already be loaded. pg's patch wraps `Client.prototype.query` on the one
 * CommonJS module every importer shares (Prisma's driver adapter included); undici's listens on
 * Node's diagnostics channels. Both record a span only under an active one (a request, a step),
 * so the executor's polling and other background work make none. Incoming HTTP requests get
 * their span from the API's front door (tracing.ts), named by the route table's pattern.
 */
import { createRequire } from "node:module";
import { type Attributes, type Context, type Link, type SpanKind } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { type Instrumentation } from "@opentelemetry/instrumentation";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  RandomIdGenerator,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type IdGenerator,
  type Sampler,
  type SamplingResult,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

export interface TracingConfig {
  /** The OTLP/HTTP collector's base URL; spans go to `<endpoint>/v1/traces`. */
  endpoint: string;
  serviceName: string;
  serviceVersion: string;
  /** Sent with every export (a collector's API key). */
  headers: Record<string, string>;
  /** The share of new traces kept, 0 to 1; a trace continued from a sampled parent is always kept. */
  sampleRatio: number;
  /**
   * Whether the Inngest SDK's own span per function execution is kept. In embedded mode the
   * executor replays a function once per step, and each replay's span would be a root of its
   * own (the engine knows nothing of the task): noise, so it is dropped. In server mode it is
   * Inngest's trace of the run, and kept.
   */
  keepEngineSpans: boolean;
}

/** Random ids, except where recordTaskSpan reserved the span id its steps already point at. */
class ReservableIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  constructor(private readonly reserved: { traceId?: string; spanId?: string }) {}
  generateTraceId(): string {
    return this.reserved.traceId ?? this.random.generateTraceId();
  }
  generateSpanId(): string {
    return this.reserved.spanId ?? this.random.generateSpanId();
  }
}

/** The Inngest SDK's span per function execution (see TracingConfig.keepEngineSpans). */
const ENGINE_SPAN = "inngest.execution";

class ChorusSampler implements Sampler {
  private readonly inner: Sampler;
  constructor(
    ratio: number,
    private readonly keepEngineSpans: boolean,
  ) {
    this.inner = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (!this.keepEngineSpans && name === ENGINE_SPAN) return { decision: SamplingDecision.NOT_RECORD };
    return this.inner.shouldSample(context, traceId, name, kind, attributes, links);
  }
  toString(): string {
    return `ChorusSampler{${this.inner.toString()}}`;
  }
}

/** pg's CommonJS module, the one instance Prisma's adapter and the pool share. */
function loadPg(): { Client: unknown } {
  return createRequire(import.meta.url)("pg") as { Client: unknown };
}

/** Applies pg's instrumentation to the already-loaded module (see the module comment). */
function instrumentPg(instrumentation: PgInstrumentation) {
  const pg = loadPg();
  for (const definition of instrumentation.getModuleDefinitions()) {
    if (definition.name === "pg") definition.patch?.(pg);
  }
}

/** Registers the provider globally; returns a flush, and a stop that flushes, unpatches and unregisters. */
export async function registerTracerProvider(
  config: TracingConfig,
  reserved: { traceId?: string; spanId?: string },
): Promise<{ flush: () => Promise<void>; stop: () => Promise<void> }> {
  const exporter = new OTLPTraceExporter({ url: `${config.endpoint.replace(/\/+$/, "")}/v1/traces`, headers: config.headers });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: config.serviceVersion }),
    sampler: new ChorusSampler(config.sampleRatio, config.keepEngineSpans),
    idGenerator: new ReservableIdGenerator(reserved),
    // Spans leave in batches off the request's path; past 8192 waiting (the collector is down) new ones are dropped, not buffered without end.
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 8192, maxExportBatchSize: 1024, scheduledDelayMillis: 2000 })],
  });
  // The async-hooks context manager (so a span stays current across awaits) and W3C trace context.
  provider.register();

  // Constructed disabled: enabled, each would also hook every later `require` of the process.
  // A span per query; not per pool checkout (`pg.connect`), which doubles the spans and says little.
  const pg = new PgInstrumentation({ enabled: false, requireParentSpan: true, ignoreConnectSpans: true, enhancedDatabaseReporting: false });
  const undici = new UndiciInstrumentation({ enabled: false, requireParentforSpans: true });
  const instrumentations: Instrumentation[] = [pg, undici];
  for (const instrumentation of instrumentations) instrumentation.setTracerProvider(provider);
  instrumentPg(pg);
  undici.enable();

  const flush = () => provider.forceFlush();
  const stop = async () => {
    undici.disable();
    const pgModule = loadPg();
    for (const definition of pg.getModuleDefinitions()) if (definition.name === "pg") definition.unpatch?.(pgModule);
    await provider.forceFlush().catch(() => undefined);
    await provider.shutdown().catch(() => undefined);
    // Leaves the API as it was before start: no provider, no context manager, no propagator.
    const api = await import("@opentelemetry/api");
    api.trace.disable();
    api.context.disable();
    api.propagation.disable();
  };
  return { flush, stop };
}
