import { z } from "zod";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { findLastRetentionRun } from "@/server/db/queries/retention";
import { measureDatabaseSize, measureTeamStorage } from "@/server/db/queries/team-storage";
import { retentionSettings } from "@/server/retention/prune-old-rows";

/**
 * Settings → Data and GET /api/v1/team/storage (admins): how much of the database the team's
 * rows take, table by table, the whole database's size, the retention in effect and when old
 * rows were last pruned (docs/operations.md#storage).
 *
 * Measuring reads every row of the team in the big tables, so a measurement is kept for a
 * minute per team in each process: reloading the page or polling the API costs nothing more.
 */

export const TEAM_STORAGE_CACHE_MS = 60_000;

/** GET /api/v1/team/storage takes no parameters. */
export const teamStorageQuery = z.object({}).strict();

export const teamStorageView = z
  .object({
    measuredAt: z.string().meta({ description: "When the sizes were measured (kept for a minute)" }),
    teamBytes: z.number().meta({ description: "The team's rows in the measured tables, estimated (pg_column_size), indexes not included" }),
    databaseBytes: z.number().meta({ description: "The whole database on disk: every team, indexes and the executor's state" }),
    tables: z.array(
      z.object({
        table: z.string(),
        rows: z.number().meta({ description: "The team's rows" }),
        bytes: z.number().meta({ description: "Their estimated size" }),
        tableBytes: z.number().meta({ description: "The whole table on disk, every team's rows, with indexes" }),
      }),
    ),
    retention: z
      .object({
        runEventDays: z.number(),
        workflowStateDays: z.number(),
        webhookDeliveryDays: z.number(),
        auditEventDays: z.number(),
      })
      .meta({ description: "Days each kind of row is kept after its task or delivery finished (server settings)" }),
    lastPrune: z
      .object({
        finishedAt: z.string(),
        pruned: z.record(z.string(), z.number()),
      })
      .nullable()
      .meta({ description: "The last background prune of old rows, server-wide; null: none yet" }),
  })
  .meta({ id: "TeamStorage" });

export type TeamStorageView = z.output<typeof teamStorageView>;

const measured = new Map<string, { at: number; sizes: Pick<TeamStorageView, "measuredAt" | "teamBytes" | "databaseBytes" | "tables"> }>();

async function measure(teamId: string) {
  const cached = measured.get(teamId);
  if (cached && Date.now() - cached.at < TEAM_STORAGE_CACHE_MS) return cached.sizes;
  const [tables, databaseBytes] = await Promise.all([measureTeamStorage(teamId), measureDatabaseSize()]);
  const sizes = {
    measuredAt: new Date().toISOString(),
    teamBytes: tables.reduce((sum, table) => sum + table.bytes, 0),
    databaseBytes,
    tables,
  };
  measured.set(teamId, { at: Date.now(), sizes });
  return sizes;
}

export async function readTeamStorage(caller: Caller): Promise<TeamStorageView> {
  requirePermission(caller, "manage");
  const [sizes, lastPrune] = await Promise.all([measure(caller.teamId), findLastRetentionRun()]);
  return {
    ...sizes,
    retention: retentionSettings(),
    lastPrune: lastPrune ? { finishedAt: lastPrune.finishedAt.toISOString(), pruned: lastPrune.pruned } : null,
  };
}
