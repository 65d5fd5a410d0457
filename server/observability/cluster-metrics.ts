/**
 * One scrape answers for the whole cluster when CHORUS_WORKERS > 1: the worker a scrape reaches
 * asks the primary over the cluster's IPC channel, the primary gathers every worker's metrics
 * with prom-client's AggregatorRegistry (counters and histograms summed, gauges read from the
 * shared database taken once) and answers the worker, which answers the scrape.
 */
import cluster from "node:cluster";
import client from "prom-client";
import { renderMetrics } from "./metrics";

const ASK = "chorus:cluster-metrics";
const ANSWER = "chorus:cluster-metrics-answer";

interface ClusterMetricsMessage {
  type: string;
  id: number;
  text?: string;
  error?: string;
}

let aggregator: client.AggregatorRegistry<client.RegistryContentType> | undefined;
let nextId = 0;
const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();

/**
 * In every process of a cluster, before workers serve: the primary answers workers' requests for
 * the cluster's metrics; a worker answers the primary's requests for its own (prom-client's
 * listener) and hears the primary's answers to its requests.
 */
export function joinClusterMetrics(): void {
  if (aggregator) return;
  aggregator = new client.AggregatorRegistry();
  if (cluster.isPrimary) {
    cluster.on("message", (worker, message: ClusterMetricsMessage) => {
      if (message?.type !== ASK) return;
      aggregator!.clusterMetrics().then(
        (text: string) => worker.send({ type: ANSWER, id: message.id, text }),
        (error: Error) => worker.send({ type: ANSWER, id: message.id, error: error.message }),
      );
    });
  } else {
    process.on("message", (message: ClusterMetricsMessage) => {
      if (message?.type !== ANSWER) return;
      const request = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.text !== undefined) request?.resolve(message.text);
      else request?.reject(new Error(message.error ?? "no answer"));
    });
  }
}

/** The Prometheus text for a scrape: the whole cluster's from a worker that joined one, else this process's. */
export async function scrapeMetrics(): Promise<{ text: string; contentType: string }> {
  if (!aggregator || !cluster.isWorker || !process.send) return renderMetrics();
  const id = nextId++;
  const text = await new Promise<string>((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    process.send!({ type: ASK, id });
    setTimeout(() => {
      if (waiting.delete(id)) reject(new Error("the primary did not answer with the cluster's metrics in 10 s"));
    }, 10_000).unref();
  });
  return { text, contentType: aggregator.contentType };
}
