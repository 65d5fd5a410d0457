import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "@/server/env";
import { taskSpanId } from "@/server/observability/tracing";
import { tracingConfigOf } from "@/server/runtime/observability";

/** How the environment turns tracing on (docs/operations.md#tracing), and the task span's id every process derives alike. */
describe("tracing configuration", () => {
  it("is off without OTEL_EXPORTER_OTLP_ENDPOINT, whatever else is set", () => {
    expect(tracingConfigOf(parseEnv({ OTEL_SERVICE_NAME: "x", CHORUS_TRACE_SAMPLE_RATIO: "0.5" }))).toBeUndefined();
  });

  it("takes the endpoint, service name, headers and sample ratio", () => {
    const config = tracingConfigOf(
      parseEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_SERVICE_NAME: "chorus-eu",
        OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=abc%3D%3D, x-team = ops",
        OTEL_TRACES_SAMPLER_ARG: "0.25",
      }),
    );
    expect(config).toMatchObject({
      endpoint: "http://collector:4318",
      serviceName: "chorus-eu",
      headers: { "x-api-key": "abc==", "x-team": "ops" },
      sampleRatio: 0.25,
      keepEngineSpans: false,
    });
    expect(config!.serviceVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("defaults to service chorus, every trace kept; CHORUS_TRACE_SAMPLE_RATIO wins over OTEL_TRACES_SAMPLER_ARG", () => {
    expect(tracingConfigOf(parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }))).toMatchObject({
      serviceName: "chorus",
      sampleRatio: 1,
      headers: {},
    });
    const both = parseEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
      OTEL_TRACES_SAMPLER_ARG: "0.5",
      CHORUS_TRACE_SAMPLE_RATIO: "0.1",
    });
    expect(tracingConfigOf(both)!.sampleRatio).toBe(0.1);
    // In server mode the Inngest SDK's execution spans are Inngest's trace of the run: kept.
    expect(
      tracingConfigOf(parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", INNGEST_MODE: "server", NODE_ENV: "test" }))!
        .keepEngineSpans,
    ).toBe(true);
  });

  it("names the variable that is wrong", () => {
    const problems = (source: Record<string, string>) => {
      try {
        parseEnv(source);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })).toEqual([expect.stringMatching(/^OTEL_EXPORTER_OTLP_ENDPOINT: /)]);
    expect(problems({ CHORUS_TRACE_SAMPLE_RATIO: "1.5" })).toEqual([expect.stringMatching(/^CHORUS_TRACE_SAMPLE_RATIO: .*0 to 1/)]);
    expect(problems({ OTEL_TRACES_SAMPLER_ARG: "half" })).toEqual([expect.stringMatching(/^OTEL_TRACES_SAMPLER_ARG: /)]);
    expect(problems({ OTEL_EXPORTER_OTLP_HEADERS: "no-equals-sign" })).toEqual([expect.stringMatching(/^OTEL_EXPORTER_OTLP_HEADERS: /)]);
  });
});

describe("the task span's id", () => {
  it("is 16 hex digits derived from the task id: the same in every process, different per task", () => {
    expect(taskSpanId("task-1")).toMatch(/^[0-9a-f]{16}$/);
    expect(taskSpanId("task-1")).toBe(taskSpanId("task-1"));
    expect(taskSpanId("task-2")).not.toBe(taskSpanId("task-1"));
  });
});
