import { getDb, query } from "@/server/db/client";
import { newRowId } from "@/server/db/row-id";
import type { InputJsonObject } from "@/server/db/types";

/**
 * The audit log's rows, `AuditEvent` (server/audit/record-audit.ts writes them, the audit-log
 * service reads them): one per action in a team, never updated. Writing is one plain-SQL insert,
 * one round trip, because it follows actions on hot paths (creating a task); reading is Prisma,
 * always filtered by the team; pruning deletes the oldest rows in batches through the createdAt index.
 */

export interface AuditEventRecord {
  teamId: string;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  details: InputJsonObject;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: Date;
}

/** One insert; a team deleted meanwhile records nothing (instead of failing on its foreign key). */
export async function insertAuditEvent(event: AuditEventRecord): Promise<void> {
  await query(
    `INSERT INTO "AuditEvent" (id, "teamId", "actorType", "actorId", action, "targetType", "targetId", details, "ipAddress", "userAgent", "createdAt")
     SELECT $1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11::timestamp
     WHERE EXISTS (SELECT 1 FROM "Team" WHERE id = $2)`,
    [
      newRowId(),
      event.teamId,
      event.actorType,
      event.actorId,
      event.action,
      event.targetType,
      event.targetId,
      JSON.stringify(event.details),
      event.ipAddress,
      event.userAgent,
      event.createdAt.toISOString(),
    ],
  );
}

export interface AuditEventFilter {
  actorId?: string;
  actorType?: string;
  /** An action's name or the start of one (`task.`). */
  actionPrefix?: string;
  targetType?: string;
  targetId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** The last row of the previous page: this page holds rows older than it (createdAt, then id). */
  after?: { createdAt: Date; id: string };
}

/** A page of the team's events matching the filter, newest first. */
export async function findAuditEvents(teamId: string, filter: AuditEventFilter, limit: number) {
  return getDb().auditEvent.findMany({
    where: {
      teamId,
      ...(filter.actorId ? { actorId: filter.actorId } : {}),
      ...(filter.actorType ? { actorType: filter.actorType } : {}),
      ...(filter.actionPrefix ? { action: { startsWith: filter.actionPrefix } } : {}),
      ...(filter.targetType ? { targetType: filter.targetType } : {}),
      ...(filter.targetId ? { targetId: filter.targetId } : {}),
      createdAt: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) },
      ...(filter.after
        ? { OR: [{ createdAt: { lt: filter.after.createdAt } }, { createdAt: filter.after.createdAt, id: { lt: filter.after.id } }] }
        : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
  });
}

export type AuditEventRow = Awaited<ReturnType<typeof findAuditEvents>>[number];

/**
 * Deletes up to `batchSize` of the oldest events (of any team) created before `cutoff`; returns
 * how many. Rows another pruner is deleting are skipped, not waited for.
 */
export async function deleteAuditEventsBefore(cutoff: Date, batchSize: number): Promise<number> {
  const { rowCount } = await query(
    `DELETE FROM "AuditEvent" WHERE id IN (
       SELECT id FROM "AuditEvent" WHERE "createdAt" < $1::timestamp ORDER BY "createdAt" LIMIT $2 FOR UPDATE SKIP LOCKED
     )`,
    [cutoff.toISOString(), batchSize],
  );
  return rowCount ?? 0;
}

/** Names to show for the actors of a page of the team's events: users' emails and names, the team's API keys' names. */
export async function findAuditActorNames(teamId: string, actors: { userIds: string[]; apiKeyIds: string[] }) {
  const db = getDb();
  const [users, apiKeys] = await Promise.all([
    // The ids come from this team's own rows; a member who has left the team is still named.
    actors.userIds.length > 0
      ? db.user.findMany({ where: { id: { in: actors.userIds } }, select: { id: true, email: true, name: true } })
      : [],
    actors.apiKeyIds.length > 0
      ? db.apiKey.findMany({ where: { teamId, id: { in: actors.apiKeyIds } }, select: { id: true, name: true } })
      : [],
  ]);
  return { users, apiKeys };
}

/** The id of the team member with this email: for filtering the log by an email. */
export async function findAuditUserIdByEmail(teamId: string, email: string): Promise<string | undefined> {
  const user = await getDb().user.findFirst({
    where: { email: email.toLowerCase(), memberships: { some: { teamId } } },
    select: { id: true },
  });
  return user?.id;
}
