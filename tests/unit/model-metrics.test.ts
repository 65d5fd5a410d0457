import { describe, expect, it } from "vitest";
import { BreakerRegistry, type BreakerStore } from "@/server/llm/breaker";
import { countCacheHit, countCacheMiss } from "@/server/llm/cache-counters";
import { renderMetrics } from "@/server/observability/metrics";
import { parsePrometheusText, sumOf } from "../support/prometheus-text";

/** The model layer's own metrics: each breaker's state as a gauge, and the response cache's lookups. */
async function samples() {
  return parsePrometheusText((await renderMetrics()).text).samples;
}

describe("model metrics", () => {
  it("shows a breaker open after consecutive failures, and closed again after a success", async () => {
    // This process alone: nothing shared with others.
    const store: BreakerStore = { read: () => Promise.resolve(undefined), write: () => Promise.resolve() };
    const breakers = new BreakerRegistry({ failureThreshold: 2, resetMs: 50, sharedReadCacheMs: 0 }, store);
    const key = "metrics-test:model";
    try {
      for (let attempt = 0; attempt < 2; attempt++) await breakers.run(key, () => Promise.reject(new Error("down"))).catch(() => undefined);
      expect(breakers.state(key).state).toBe("open");
      expect(sumOf(await samples(), "chorus_model_breaker_state", { model_key: key })).toBe(2);
      // After the reset time the breaker lets one trial through (half-open); its success closes it.
      // (The breaker's 50 ms timer was set first, so it fires before this longer one.)
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(sumOf(await samples(), "chorus_model_breaker_state", { model_key: key })).toBe(1);
      await breakers.run(key, () => Promise.resolve("ok"));
      expect(sumOf(await samples(), "chorus_model_breaker_state", { model_key: key })).toBe(0);
    } finally {
      breakers.shutdown();
    }
  });

  it("counts response-cache hits by where they came from, and misses", async () => {
    const before = await samples();
    countCacheHit("memory");
    countCacheHit("store");
    countCacheHit("store");
    countCacheMiss();
    const after = await samples();
    const grew = (labels: Record<string, string>) =>
      sumOf(after, "chorus_model_cache_requests_total", labels) - sumOf(before, "chorus_model_cache_requests_total", labels);
    expect(grew({ result: "hit", from: "memory" })).toBe(1);
    expect(grew({ result: "hit", from: "store" })).toBe(2);
    expect(grew({ result: "miss" })).toBe(1);
  });
});
