import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parsePrometheusText, sumOf } from "../support/prometheus-text";

/**
 * With CHORUS_WORKERS > 1 one scrape answers for the cluster: in a real node:cluster of two
 * workers (a process of its own), a scrape that reaches one worker holds both workers' counts.
 */
describe("metrics across a cluster of workers", () => {
  it("a scrape through one worker sums every worker's counters", () => {
    const probe = spawnSync(
      process.execPath,
      ["--import", "tsx", "--import", "./bin/server-only-outside-next.mjs", path.join("tests", "support", "cluster-metrics-probe.ts")],
      { encoding: "utf8", timeout: 60_000, env: { ...process.env, LOG_LEVEL: "silent" } },
    );
    const line = probe.stdout.split("\n").find((text) => text.startsWith("SCRAPE "));
    expect(line, probe.stderr).toBeDefined();
    const { types, samples } = parsePrometheusText(JSON.parse(line!.slice("SCRAPE ".length)) as string);
    expect(types.get("http_requests_total")).toBe("counter");
    expect(sumOf(samples, "http_requests_total", { route: "/api/probe", method: "GET", status: "200" })).toBe(5);
    expect(sumOf(samples, "http_request_duration_seconds_count", { route: "/api/probe" })).toBe(5);
    // Both workers' process metrics were gathered (prom-client sums or keeps them per its aggregators).
    expect(types.has("process_cpu_seconds_total")).toBe(true);
  });
});
