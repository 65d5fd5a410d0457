import type pg from "pg";
import { createEmbeddedExecutor } from "@/inngest/executor";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest/functions";
import { isDatabaseUnavailable } from "@/server/db/unavailable";
import { logger } from "@/server/observability/logger";
import { reportExecutorRunning } from "@/server/observability/executor-presence";
import { provideMetricsSource } from "@/server/observability/metrics";

/** Starts the embedded executor on Chorus's functions; returns its stop. */
export async function startExecutor(options: { pool: pg.Pool; concurrency: number }) {
  const executor = createEmbeddedExecutor({
    pool: options.pool,
    client: inngest,
    functions,
    concurrency: options.concurrency,
    logger,
    isDatabaseUnavailable,
  });
  executor.start();
  // The executor knows nothing of the app: its counters are read from here at each scrape.
  provideMetricsSource("executor", () => executor.stats());
  reportExecutorRunning(true);
  return async () => {
    reportExecutorRunning(false);
    await executor.stop();
  };
}
