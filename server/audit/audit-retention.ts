import { deleteAuditEventsBefore } from "@/server/db/queries/audit-events";
import { getEnv } from "@/server/env";
import { logger } from "@/server/observability/logger";

/**
 * Keeps the audit log for CHORUS_AUDIT_RETENTION_DAYS: older events are deleted in the
 * background, a batch at a time through the createdAt index.
 *
 * A timer in each server process, not an Inngest cron: the embedded executor ignores cron
 * triggers (inngest/executor/executor.ts warns and skips them), and the only other periodic work
 * in the process is likewise timer-driven (the rate limiter's housekeeping). Several processes
 * pruning at once is harmless: a batch skips the rows another is deleting (SKIP LOCKED), and
 * writes never wait — inserts take no lock the deletes hold, and each batch is its own short
 * statement.
 */

export const AUDIT_PRUNE_BATCH = 1_000;
const FIRST_PRUNE_AFTER_MS = 60_000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Deletes every event older than the retention, batch by batch; returns how many went. */
export async function pruneAuditEvents(options: { now?: Date; retentionDays?: number; batchSize?: number } = {}): Promise<number> {
  const retentionDays = options.retentionDays ?? getEnv().CHORUS_AUDIT_RETENTION_DAYS;
  const batchSize = options.batchSize ?? AUDIT_PRUNE_BATCH;
  const cutoff = new Date((options.now ?? new Date()).getTime() - retentionDays * DAY_MS);
  let total = 0;
  for (;;) {
    const deleted = await deleteAuditEventsBefore(cutoff, batchSize);
    total += deleted;
    if (deleted < batchSize) return total;
    // Let requests in between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Prunes a minute after start, then hourly, until the returned stop is called. Failures are logged and retried next time. */
export function startAuditPruning(): () => void {
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    pruneAuditEvents()
      .then((deleted) => {
        if (deleted > 0) logger.info("pruned old audit events", { deleted, retentionDays: getEnv().CHORUS_AUDIT_RETENTION_DAYS });
      })
      .catch((error: unknown) => logger.warn("could not prune old audit events; trying again later", { error }))
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
