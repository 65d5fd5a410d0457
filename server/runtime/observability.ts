/**
 * Turns on what the configuration asks of a serving process's observability, before it serves:
 * the metrics switch (CHORUS_METRICS) and, when OTEL_EXPORTER_OTLP_ENDPOINT is set, tracing.
 * Nothing here loads the OpenTelemetry SDK when tracing is not configured.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Env } from "@/server/env";
import { logger } from "@/server/observability/logger";
import { switchMetrics } from "@/server/observability/metrics-switch";
import { startTracing, stopTracing, type TracingConfig } from "@/server/observability/tracing";

/** Chorus's version, for the traces' resource (service.version). */
function chorusVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(process.cwd(), "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** The tracing configuration the environment asks for, or undefined when tracing is off. */
export function tracingConfigOf(env: Env): TracingConfig | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return {
    endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    serviceName: env.OTEL_SERVICE_NAME,
    serviceVersion: chorusVersion(),
    headers: env.OTEL_EXPORTER_OTLP_HEADERS,
    sampleRatio: env.CHORUS_TRACE_SAMPLE_RATIO ?? env.OTEL_TRACES_SAMPLER_ARG ?? 1,
    keepEngineSpans: env.INNGEST_MODE === "server",
  };
}

/** Sets the metrics switch and starts tracing if configured; returns a stop that exports what is buffered. */
export async function startObservability(env: Env): Promise<() => Promise<void>> {
  switchMetrics(env.CHORUS_METRICS);
  const tracing = tracingConfigOf(env);
  if (!tracing) return async () => {};
  await startTracing(tracing);
  logger.info("tracing on", { endpoint: tracing.endpoint, serviceName: tracing.serviceName, sampleRatio: tracing.sampleRatio });
  return stopTracing;
}
