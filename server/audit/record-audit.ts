import { insertAuditEvent } from "@/server/db/queries/audit-events";
import type { InputJsonObject, InputJsonValue } from "@/server/db/types";
import type { AuditAction, AuditActorType } from "@/server/domain/audit-actions";
import { logger } from "@/server/observability/logger";
import { cutText } from "@/server/text/cut-text";

/**
 * Writes the audit log (docs/audit-log.md): one row per action, after the action has happened.
 *
 * Best-effort, by design: the actions it follows are each one committed statement (or a
 * transaction of their own inside a query function), so there is no open transaction to join
 * without threading one through every query; recording before the action would log actions
 * that then failed. So the service performs its action, then awaits `recordAudit` — one INSERT,
 * one round trip — which never throws: a failed insert (the database went away between the two)
 * is logged as an error with the action's name and the row is lost, and the action the caller
 * asked for still succeeds. Awaiting (rather than firing and forgetting) keeps the order of a
 * member's actions and makes the row visible by the time the answer is.
 *
 * Details are kept small and free of secrets whatever a caller passes: scalar values and short
 * lists only, text cut at 200 characters, keys that name a secret dropped and values that look
 * like a key replaced.
 */

/** Who acted and from where. A Caller (server/auth/caller.ts) is one as it is. */
export interface AuditBy {
  teamId: string;
  userId?: string;
  apiKeyId?: string;
  /** For an action no member or key is behind: the admin CLI on the server, or Chorus itself. */
  actor?: "cli" | "system";
  /** The client's address and user agent, where the action came in over HTTP. */
  client?: { address?: string; userAgent?: string };
}

export interface AuditEntry {
  action: AuditAction;
  /** What the action was done to, e.g. `{ type: "task", id }`. */
  target?: { type: string; id: string };
  /** A few facts worth keeping (a new role, a setting's new value) — never a secret, never a prompt's text. */
  details?: Record<string, unknown>;
}

const MAX_TEXT = 200;
const MAX_LIST = 50;
const MAX_KEYS = 30;
const secretName = /(password|secret|key$|authorization|cookie|hash|bearer|credential|^token$|headers?$)/i;
const secretLooking = /\b(sk-[A-Za-z0-9_-]{8,}|chorus_[a-z0-9]{8}_[A-Za-z0-9_-]{16,}|Bearer\s+\S{8,})/;

export async function recordAudit(by: AuditBy, entry: AuditEntry): Promise<void> {
  try {
    await insertAuditEvent({
      teamId: by.teamId,
      ...actorOf(by),
      action: entry.action,
      targetType: entry.target ? cutText(entry.target.type, MAX_TEXT) : null,
      targetId: entry.target ? cutText(entry.target.id, MAX_TEXT) : null,
      details: boundedDetails(entry.details ?? {}),
      ipAddress: by.client?.address ? cutText(by.client.address, 100) : null,
      userAgent: by.client?.userAgent ? cutText(by.client.userAgent, 400) : null,
      createdAt: new Date(),
    });
  } catch (error) {
    logger.error("could not record an audit event; the action itself succeeded", { action: entry.action, teamId: by.teamId, error });
  }
}

function actorOf(by: AuditBy): { actorType: AuditActorType; actorId: string | null } {
  if (by.actor) return { actorType: by.actor, actorId: null };
  if (by.userId) return { actorType: "user", actorId: by.userId };
  if (by.apiKeyId) return { actorType: "api_key", actorId: by.apiKeyId };
  return { actorType: "system", actorId: null };
}

/** The details as stored: one level of scalars and short lists of scalars, nothing secret-looking. */
export function boundedDetails(details: Record<string, unknown>): InputJsonObject {
  const kept: Record<string, InputJsonValue | null> = {};
  for (const [key, value] of Object.entries(details).slice(0, MAX_KEYS)) {
    if (secretName.test(key) || value === undefined) continue;
    if (Array.isArray(value))
      kept[key] = value
        .slice(0, MAX_LIST)
        .map(scalar)
        .filter((item) => item !== undefined) as InputJsonValue[];
    else {
      const stored = scalar(value);
      if (stored !== undefined) kept[key] = stored;
    }
  }
  return kept as InputJsonObject;
}

function scalar(value: unknown): string | number | boolean | null | undefined {
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string") return secretLooking.test(value) ? "[redacted]" : cutText(value, MAX_TEXT);
  return undefined;
}
