import { z } from "zod";
import { requirePermission, type Caller } from "@/server/auth/caller";
import {
  findAuditActorNames,
  findAuditEvents,
  findAuditUserIdByEmail,
  type AuditEventFilter,
  type AuditEventRow,
} from "@/server/db/queries/audit-events";
import { auditActorTypes } from "@/server/domain/audit-actions";
import { AppError } from "@/server/errors";
import { parseInput } from "@/server/validation";

/**
 * Reading the team's audit log (docs/audit-log.md): admins only ("manage"), a page at a time
 * newest first, or all of it as CSV or JSON Lines, streamed a page at a time. The same filters
 * serve both: who (a member's email, a user or API key id, or `cli`/`system`), what (an action or
 * the start of one, `task.`), to what (a target type and id), and when (from, inclusive; to,
 * exclusive — a bare date means the whole of that UTC day).
 */

const text = (name: string, max: number) =>
  z
    .string({ error: `${name} must be a string` })
    .trim()
    .min(1, `${name} must not be empty`)
    .max(max, `${name} must be at most ${max} characters`);

/** Instants Postgres's timestamp holds and anyone means: from 1970 to the end of 9999. */
const LATEST = Date.parse("9999-12-31T00:00:00Z");
const storable = (ms: number) => Number.isFinite(ms) && ms >= 0 && ms <= LATEST;

const instant = (name: string) =>
  text(name, 40).refine(
    (value) => storable(Date.parse(value)),
    `${name} must be a date (2026-12-07) or an ISO date-time between 1970 and 9999`,
  );

export const auditFilterInput = z.object({
  actor: text("actor", 320).optional(),
  action: text("action", 100)
    .regex(/^[a-z_.]+$/, "action must be an action name or the start of one, e.g. task. or settings.model_routing_updated")
    .optional(),
  targetType: text("targetType", 100).optional(),
  targetId: text("targetId", 200).optional(),
  from: instant("from").optional(),
  to: instant("to").optional(),
});

export const listAuditInput = auditFilterInput.extend({
  limit: z.coerce.number({ error: "limit must be a number" }).int("limit must be a whole number").min(1).max(200).default(50),
  cursor: text("cursor", 200).optional(),
});

export const exportAuditInput = auditFilterInput.extend({
  format: z.enum(["csv", "jsonl"], { error: "format must be csv or jsonl" }).default("csv"),
});

export interface AuditEventView {
  id: string;
  createdAt: string;
  action: string;
  actor: { type: string; id: string | null; name: string | null };
  target: { type: string; id: string | null } | null;
  details: Record<string, unknown>;
  ipAddress: string | null;
  userAgent: string | null;
}

/** One page of the team's events, newest first; `nextCursor` fetches the next (older) page, null at the end. */
export async function listAuditEvents(caller: Caller, rawInput: unknown): Promise<{ events: AuditEventView[]; nextCursor: string | null }> {
  requirePermission(caller, "manage");
  const input = parseInput(listAuditInput, rawInput);
  const filter = await filterOf(caller.teamId, input);
  if (!filter) return { events: [], nextCursor: null };
  const rows = await findAuditEvents(
    caller.teamId,
    { ...filter, after: input.cursor ? decodeCursor(input.cursor) : undefined },
    input.limit + 1,
  );
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return { events: await present(caller.teamId, page), nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null };
}

const EXPORT_PAGE = 500;

/**
 * All of the team's events matching the filter, newest first, as CSV or JSON Lines: checked and
 * parsed before anything is sent (a bad filter is a 400), then read and written a page at a time
 * as the client takes them, so an export of a year holds one page in memory.
 */
export async function exportAuditEvents(
  caller: Caller,
  rawInput: unknown,
): Promise<{ body: ReadableStream<Uint8Array>; contentType: string; filename: string }> {
  requirePermission(caller, "manage");
  const input = parseInput(exportAuditInput, rawInput);
  const filter = await filterOf(caller.teamId, input);
  const encoder = new TextEncoder();
  let after: AuditEventFilter["after"];
  let headerSent = input.format !== "csv";
  let done = !filter;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(csvLine(CSV_COLUMNS)));
        return;
      }
      if (done || !filter) {
        controller.close();
        return;
      }
      const rows = await findAuditEvents(caller.teamId, { ...filter, after }, EXPORT_PAGE);
      if (rows.length < EXPORT_PAGE) done = true;
      const last = rows.at(-1);
      if (last) after = { createdAt: last.createdAt, id: last.id };
      const views = await present(caller.teamId, rows);
      const lines = views.map((view) => (input.format === "csv" ? csvLine(csvCells(view)) : `${JSON.stringify(view)}\n`));
      if (lines.length > 0) controller.enqueue(encoder.encode(lines.join("")));
      if (done) controller.close();
    },
  });
  const stamp = new Date().toISOString().slice(0, 10);
  return {
    body,
    contentType: input.format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
    filename: `audit-log-${stamp}.${input.format}`,
  };
}

/** The stored filter for the input, or undefined when it can match nothing (an email of no member). */
async function filterOf(teamId: string, input: z.output<typeof auditFilterInput>): Promise<Omit<AuditEventFilter, "after"> | undefined> {
  const filter: Omit<AuditEventFilter, "after"> = {
    actionPrefix: input.action,
    targetType: input.targetType,
    targetId: input.targetId,
    from: input.from ? new Date(Date.parse(input.from)) : undefined,
    to: input.to ? endOf(input.to) : undefined,
  };
  if (filter.from && filter.to && filter.from >= filter.to) throw new AppError("bad_request", "to must be after from", "to");
  if (input.actor) {
    if ((auditActorTypes as readonly string[]).includes(input.actor) && input.actor !== "user" && input.actor !== "api_key")
      filter.actorType = input.actor;
    else if (input.actor.includes("@")) {
      const userId = await findAuditUserIdByEmail(teamId, input.actor);
      if (!userId) return undefined;
      filter.actorId = userId;
    } else filter.actorId = input.actor;
  }
  return filter;
}

/** `to` as given: a bare date ends with its UTC day (the day is included), a date-time is the instant itself. */
function endOf(value: string): Date {
  const at = new Date(Date.parse(value));
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(at.getTime() + 24 * 60 * 60 * 1000) : at;
}

function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const createdAt = new Date(Date.parse(at ?? ""));
  if (!id || !/^[a-z0-9]{1,40}$/.test(id) || !storable(createdAt.getTime()))
    throw new AppError("bad_request", "cursor is not one this API gave out: pass nextCursor as it came", "cursor");
  return { createdAt, id };
}

async function present(teamId: string, rows: AuditEventRow[]): Promise<AuditEventView[]> {
  const userIds = [...new Set(rows.filter((row) => row.actorType === "user" && row.actorId).map((row) => row.actorId!))];
  const apiKeyIds = [...new Set(rows.filter((row) => row.actorType === "api_key" && row.actorId).map((row) => row.actorId!))];
  const names = await findAuditActorNames(teamId, { userIds, apiKeyIds });
  const userName = new Map(names.users.map((user) => [user.id, user.email]));
  const keyName = new Map(names.apiKeys.map((key) => [key.id, key.name]));
  return rows.map((row) => ({
    id: row.id,
    createdAt: row.createdAt.toISOString(),
    action: row.action,
    actor: {
      type: row.actorType,
      id: row.actorId,
      name: row.actorId ? ((row.actorType === "user" ? userName : keyName).get(row.actorId) ?? null) : null,
    },
    target: row.targetType ? { type: row.targetType, id: row.targetId } : null,
    details: (row.details ?? {}) as Record<string, unknown>,
    ipAddress: row.ipAddress,
    userAgent: row.userAgent,
  }));
}

const CSV_COLUMNS = [
  "createdAt",
  "action",
  "actorType",
  "actorId",
  "actorName",
  "targetType",
  "targetId",
  "details",
  "ipAddress",
  "userAgent",
];

function csvCells(view: AuditEventView): string[] {
  return [
    view.createdAt,
    view.action,
    view.actor.type,
    view.actor.id ?? "",
    view.actor.name ?? "",
    view.target?.type ?? "",
    view.target?.id ?? "",
    JSON.stringify(view.details ?? {}),
    view.ipAddress ?? "",
    view.userAgent ?? "",
  ];
}

/**
 * One CSV record (RFC 4180: quoted when needed, quotes doubled, CRLF). A cell a spreadsheet would
 * run as a formula (starting with =, +, -, @, a tab or CR) gets a leading apostrophe: a user agent
 * or an agent's name is text anyone can choose.
 */
function csvLine(cells: string[]): string {
  return `${cells
    .map((cell) => {
      const safe = /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
      return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
    })
    .join(",")}\r\n`;
}
