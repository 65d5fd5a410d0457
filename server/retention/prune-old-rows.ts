import { pruneAuditEvents } from "@/server/audit/audit-retention";
import { deleteOldRunEvents, deleteOldWebhookDeliveries, deleteOldWorkflowRuns, recordRetentionRun } from "@/server/db/queries/retention";
import { getEnv } from "@/server/env";
import { logger } from "@/server/observability/logger";
import { countPrunedRows } from "@/server/observability/metrics";

/**
 * Retention: the rows that grow with every task and are history once it is over are deleted in
 * the background after a configurable age — finished tasks' run events, the executor's state of
 * finished runs (memoised step outputs, waits), finished webhook deliveries, and audit events.
 * Task rows, their results and agent executions are kept: the task page reads those.
 *
 * Each kind goes a batch at a time (one short DELETE of at most `batchSize` rows that skips rows
 * other transactions hold), yielding to requests between batches, so writes never wait on it.
 *
 * A timer in each server process, as the audit log's pruning was, not an Inngest cron: the
 * embedded executor ignores cron triggers (inngest/executor/executor.ts warns and skips them),
 * and the same timer serves server mode. Two processes pruning at once is harmless (SKIP LOCKED).
 */

export const RETENTION_BATCH = 1_000;
const FIRST_PRUNE_AFTER_MS = 60_000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Days each kind of row is kept (from the environment: CHORUS_*_RETENTION_DAYS). */
export interface RetentionSettings {
  runEventDays: number;
  workflowStateDays: number;
  webhookDeliveryDays: number;
  auditEventDays: number;
}

export function retentionSettings(): RetentionSettings {
  const env = getEnv();
  return {
    runEventDays: env.CHORUS_RUN_EVENT_RETENTION_DAYS,
    workflowStateDays: env.CHORUS_WORKFLOW_STATE_RETENTION_DAYS,
    webhookDeliveryDays: env.CHORUS_WEBHOOK_DELIVERY_RETENTION_DAYS,
    auditEventDays: env.CHORUS_AUDIT_RETENTION_DAYS,
  };
}

export interface PruneReport {
  runEvents: number;
  workflowRuns: number;
  webhookDeliveries: number;
  auditEvents: number;
}

/** Deletes batch by batch until a batch comes back short; returns how many rows went. */
async function inBatches(deleteBatch: (batchSize: number) => Promise<number>, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch(batchSize);
    total += deleted;
    if (deleted < batchSize) return total;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** One prune of every kind; records it (RetentionRun, the metric, a log line when anything went). */
export async function pruneOldRows(
  options: { now?: Date; batchSize?: number; settings?: Partial<RetentionSettings> } = {},
): Promise<PruneReport> {
  const startedAt = new Date();
  const now = options.now ?? startedAt;
  const batchSize = options.batchSize ?? RETENTION_BATCH;
  const settings = { ...retentionSettings(), ...options.settings };
  const cutoff = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const report: PruneReport = {
    runEvents: await inBatches((size) => deleteOldRunEvents(cutoff(settings.runEventDays), size), batchSize),
    workflowRuns: await inBatches((size) => deleteOldWorkflowRuns(cutoff(settings.workflowStateDays), size), batchSize),
    webhookDeliveries: await inBatches((size) => deleteOldWebhookDeliveries(cutoff(settings.webhookDeliveryDays), size), batchSize),
    auditEvents: await pruneAuditEvents({ now, retentionDays: settings.auditEventDays, batchSize }),
  };
  countPrunedRows("run_events", report.runEvents);
  countPrunedRows("workflow_runs", report.workflowRuns);
  countPrunedRows("webhook_deliveries", report.webhookDeliveries);
  countPrunedRows("audit_events", report.auditEvents);
  await recordRetentionRun(startedAt, { ...report });
  if (Object.values(report).some((rows) => rows > 0)) logger.info("pruned old rows", { ...report, ...settings });
  return report;
}

/** Prunes a minute after start, then hourly, until the returned stop is called. Failures are logged and retried next time. */
export function startRetention(): () => void {
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    pruneOldRows()
      .catch((error: unknown) => logger.warn("could not prune old rows; trying again later", { error }))
      .finally(() => {
        running = false;
      });
  };
  const first = setTimeout(run, FIRST_PRUNE_AFTER_MS);
  const every = setInterval(run, PRUNE_EVERY_MS);
  first.unref();
  every.unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}
