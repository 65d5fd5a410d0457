import { deleteAuditEventsBefore } from "@/server/db/queries/audit-events";
import { getEnv } from "@/server/env";

/**
 * Keeps the audit log for CHORUS_AUDIT_RETENTION_DAYS: older events are deleted in the
 * background, a batch at a time through the createdAt index — one of the kinds of old rows
 * server/retention prunes hourly in each server process. Several processes pruning at once is
 * harmless: a batch skips the rows another is deleting (SKIP LOCKED), and writes never wait —
 * inserts take no lock the deletes hold, and each batch is its own short statement.
 */

export const AUDIT_PRUNE_BATCH = 1_000;
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
