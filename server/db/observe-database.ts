/**
 * Plugs the database's readings into the metrics (server/observability/metrics.ts): the pool's
 * connections, the tasks active now, the executor's queue in Postgres and the teams' budget use. Called once per
 * process that serves, before any scrape; calling it again changes nothing.
 */
import { provideMetricsSource } from "@/server/observability/metrics";
import { getPool } from "./client";
import { countActiveTasksByStatus, readExecutorQueue, readTeamBudgetMaxUsedRatio } from "./queries/operations-metrics";

export function observeDatabase(): void {
  provideMetricsSource("databasePool", () => {
    const pool = getPool();
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  });
  provideMetricsSource("activeTasks", countActiveTasksByStatus);
  provideMetricsSource("executorQueue", readExecutorQueue);
  provideMetricsSource("teamBudgetMaxUsedRatio", readTeamBudgetMaxUsedRatio);
}
