import { getDb, query } from "@/server/db/client";
import type { JsonObject } from "@/server/db/types";
import { finishedTaskStatuses } from "@/server/domain/task-vocabulary";

/**
 * Deleting old rows in small batches (server/retention). Server-wide maintenance, so these
 * statements are the exception to "every query is filtered by teamId": they pick rows by age
 * and by whether their task or run has finished, across teams. Each batch is one short statement
 * that skips rows another transaction holds (SKIP LOCKED), so a writer never waits for a prune.
 */

/** Task statuses after which nothing more happens to a task: its events are history. */
export const FINISHED_TASK_STATUSES = finishedTaskStatuses;
/** Executor run statuses of a run that will never execute again. */
export const FINISHED_RUN_STATUSES = ["completed", "failed", "cancelled"] as const;
/** Webhook delivery statuses after which no attempt follows. */
export const FINISHED_DELIVERY_STATUSES = ["succeeded", "failed"] as const;

/**
 * Deletes up to `batchSize` run events created before `cutoff` of tasks that finished before it.
 * A running or awaiting task keeps every event, however old.
 */
export async function deleteOldRunEvents(cutoff: Date, batchSize: number): Promise<number> {
  const { rowCount } = await query(
    `DELETE FROM "RunEvent" WHERE "id" IN (
       SELECT e."id" FROM "Task" t JOIN "RunEvent" e ON e."taskId" = t."id"
       WHERE t."status" = ANY($3::"TaskStatus"[]) AND t."completedAt" < $1::timestamp AND e."createdAt" < $1::timestamp
       LIMIT $2 FOR UPDATE OF e SKIP LOCKED
     )`,
    [cutoff.toISOString(), batchSize, FINISHED_TASK_STATUSES],
  );
  return rowCount ?? 0;
}

/**
 * Deletes up to `batchSize` rows of `table` whose `status` is one of `finished` and whose
 * `timeColumn` is before `cutoff` (status a text column). Table and column names are this module's constants, never input.
 */
async function deleteFinishedBefore(
  table: string,
  timeColumn: string,
  finished: readonly string[],
  cutoff: Date,
  batchSize: number,
): Promise<number> {
  const { rowCount } = await query(
    `DELETE FROM "${table}" WHERE "id" IN (
       SELECT "id" FROM "${table}"
       WHERE "status" = ANY($3::text[]) AND "${timeColumn}" < $1::timestamp
       LIMIT $2 FOR UPDATE SKIP LOCKED
     )`,
    [cutoff.toISOString(), batchSize, finished],
  );
  return rowCount ?? 0;
}

/**
 * Deletes up to `batchSize` of the executor's finished runs completed before `cutoff`, with their
 * memoised step outputs and waits (ON DELETE CASCADE). Runs still running or waiting stay.
 */
export function deleteOldWorkflowRuns(cutoff: Date, batchSize: number): Promise<number> {
  return deleteFinishedBefore("WorkflowRun", "completedAt", FINISHED_RUN_STATUSES, cutoff, batchSize);
}

/** Deletes up to `batchSize` finished webhook deliveries created before `cutoff`, with their attempts. */
export function deleteOldWebhookDeliveries(cutoff: Date, batchSize: number): Promise<number> {
  return deleteFinishedBefore("WebhookDelivery", "createdAt", FINISHED_DELIVERY_STATUSES, cutoff, batchSize);
}

export async function recordRetentionRun(startedAt: Date, pruned: Record<string, number>): Promise<void> {
  await getDb().retentionRun.create({ data: { startedAt, pruned: pruned as JsonObject } });
  // The page shows the last one; a few are kept for whoever looks at the table.
  await query(`DELETE FROM "RetentionRun" WHERE "id" <= (SELECT max("id") - 100 FROM "RetentionRun")`, []);
}

export async function findLastRetentionRun(): Promise<{ startedAt: Date; finishedAt: Date; pruned: Record<string, number> } | null> {
  const run = await getDb().retentionRun.findFirst({ orderBy: { finishedAt: "desc" } });
  return run ? { startedAt: run.startedAt, finishedAt: run.finishedAt, pruned: run.pruned as Record<string, number> } : null;
}
