/**
 * Two node:cluster workers, each counting its own requests, and one scrape through a worker:
 * prints the Prometheus text the scrape answered, so a test can check it holds the whole
 * cluster's counts. Run as a process of its own (cluster.fork re-runs this file).
 */
import cluster from "node:cluster";
import { joinClusterMetrics, scrapeMetrics } from "@/server/observability/cluster-metrics";
import { countHttpRequest } from "@/server/observability/metrics";

joinClusterMetrics();
if (cluster.isPrimary) {
  let counted = 0;
  const workers = [cluster.fork({ PROBE_WORKER: "0" }), cluster.fork({ PROBE_WORKER: "1" })];
  for (const worker of workers) {
    worker.on("message", (message: { type?: string; text?: string }) => {
      if (message.type === "probe:counted" && ++counted === workers.length) workers[0]!.send({ type: "probe:scrape" });
      if (message.type === "probe:scraped") {
        process.stdout.write(`SCRAPE ${JSON.stringify(message.text)}\n`);
        for (const each of workers) each.kill();
        process.exit(0);
      }
    });
  }
} else {
  // Worker 0 answers three requests, worker 1 two.
  for (let index = 0; index < (process.env.PROBE_WORKER === "0" ? 3 : 2); index++) countHttpRequest("/api/probe", "GET", 200, 0.01);
  process.on("message", (message: { type?: string }) => {
    if (message.type !== "probe:scrape") return;
    void scrapeMetrics().then(({ text }) => process.send!({ type: "probe:scraped", text }));
  });
  process.send!({ type: "probe:counted" });
}
