import { getDb } from "@/server/db/client";
import type { Prisma } from "@/server/db/generated/client";

/**
 * A team's webhooks: endpoints (`WebhookEndpoint`), the outbox of deliveries (`WebhookDelivery`,
 * mostly written by the database triggers of migration 20261221000000_webhooks, in the same
 * transaction as the task status change they report) and each delivery's HTTP attempts
 * (`WebhookAttempt`). A member's request filters by the caller's team; the relay and the durable
 * delivery function act on the delivery id they were given. Only `findDeliveryForSending` returns
 * an endpoint's encrypted secret; every other query leaves it out (`omit`).
 */
const withoutSecret = { secretEncrypted: true } as const;

export type WebhookEndpointRow = Prisma.WebhookEndpointGetPayload<{ omit: typeof withoutSecret }>;
export type WebhookDeliveryRow = Prisma.WebhookDeliveryGetPayload<object>;

export async function listTeamWebhookEndpoints(teamId: string): Promise<WebhookEndpointRow[]> {
  return getDb().webhookEndpoint.findMany({ where: { teamId }, omit: withoutSecret, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
}

export async function findTeamWebhookEndpoint(teamId: string, id: string): Promise<WebhookEndpointRow | null> {
  return getDb().webhookEndpoint.findFirst({ where: { id, teamId }, omit: withoutSecret });
}

export interface WebhookEndpointFields {
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
}

/** Stores an endpoint; `id` is given because the secret's envelope is bound to it. */
export async function insertWebhookEndpoint(
  teamId: string,
  fields: WebhookEndpointFields & { id: string; secretEncrypted: string },
): Promise<WebhookEndpointRow> {
  return getDb().webhookEndpoint.create({ data: { ...fields, teamId }, omit: withoutSecret });
}

/** Changes the team's endpoint (and its secret, when rotated); null when the team has no endpoint with this id. */
export async function updateTeamWebhookEndpoint(
  teamId: string,
  id: string,
  fields: Partial<WebhookEndpointFields> & { secretEncrypted?: string; disabledReason?: string | null },
): Promise<WebhookEndpointRow | null> {
  const { count } = await getDb().webhookEndpoint.updateMany({ where: { id, teamId }, data: fields });
  return count === 0 ? null : findTeamWebhookEndpoint(teamId, id);
}

/** Removes the endpoint with its deliveries and their attempts (cascade). */
export async function deleteTeamWebhookEndpoint(teamId: string, id: string): Promise<boolean> {
  const { count } = await getDb().webhookEndpoint.deleteMany({ where: { id, teamId } });
  return count > 0;
}

/** The endpoint's latest deliveries, newest first. */
export async function listEndpointDeliveries(teamId: string, endpointId: string, limit: number): Promise<WebhookDeliveryRow[]> {
  return getDb().webhookDelivery.findMany({
    where: { teamId, endpointId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
  });
}

export async function findTeamDelivery(teamId: string, endpointId: string, id: string): Promise<WebhookDeliveryRow | null> {
  return getDb().webhookDelivery.findFirst({ where: { id, teamId, endpointId } });
}

/**
 * Stores a delivery made by a member's request (a test send, a redelivery). `dispatched` marks it
 * as already handed over, so the relay leaves it alone (a test send is attempted at once).
 */
export async function insertWebhookDelivery(delivery: {
  teamId: string;
  endpointId: string;
  messageId: string;
  eventType: string;
  taskId: string | null;
  payload: Prisma.InputJsonObject;
  dispatched: boolean;
}): Promise<WebhookDeliveryRow> {
  const { dispatched, ...fields } = delivery;
  return getDb().webhookDelivery.create({ data: { ...fields, dispatchedAt: dispatched ? new Date() : null } });
}

// ── The relay and the delivery function: by delivery id ──────────────────────────────────────

/** Deliveries not yet handed to the delivery function, oldest first (all teams: the relay serves the instance). */
export async function listUndispatchedDeliveries(limit: number): Promise<Array<{ id: string; teamId: string }>> {
  return getDb().webhookDelivery.findMany({
    where: { dispatchedAt: null },
    select: { id: true, teamId: true },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: limit,
  });
}

export async function markDeliveriesDispatched(ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await getDb().webhookDelivery.updateMany({ where: { id: { in: [...ids] }, dispatchedAt: null }, data: { dispatchedAt: new Date() } });
}

/** A delivery with what sending it needs: its endpoint (with the encrypted secret) and the team's destination setting. */
export async function findDeliveryForSending(id: string) {
  return getDb().webhookDelivery.findUnique({
    where: { id },
    include: {
      endpoint: {
        select: { id: true, url: true, enabled: true, secretEncrypted: true, team: { select: { webhookPrivateDestinations: true } } },
      },
    },
  });
}

/**
 * Records one HTTP attempt and the delivery's state after it, in one transaction. Writing the
 * same attempt again (a step cut off after it was recorded, then run again) replaces it.
 */
export async function recordWebhookAttempt(attempt: {
  teamId: string;
  deliveryId: string;
  attempt: number;
  statusCode: number | null;
  durationMs: number;
  responseExcerpt: string | null;
  error: string | null;
  status: "pending" | "succeeded" | "failed";
  nextAttemptAt: Date | null;
}): Promise<void> {
  const outcome = {
    statusCode: attempt.statusCode,
    durationMs: attempt.durationMs,
    responseExcerpt: attempt.responseExcerpt,
    error: attempt.error,
  };
  await getDb().$transaction([
    getDb().webhookAttempt.upsert({
      where: { deliveryId_attempt: { deliveryId: attempt.deliveryId, attempt: attempt.attempt } },
      create: { teamId: attempt.teamId, deliveryId: attempt.deliveryId, attempt: attempt.attempt, ...outcome },
      update: outcome,
    }),
    getDb().webhookDelivery.update({
      where: { id: attempt.deliveryId },
      data: {
        attempts: attempt.attempt,
        status: attempt.status,
        nextAttemptAt: attempt.nextAttemptAt,
        responseStatus: attempt.statusCode,
        durationMs: attempt.durationMs,
        responseExcerpt: attempt.responseExcerpt,
        error: attempt.error,
        completedAt: attempt.status === "pending" ? null : new Date(),
      },
    }),
  ]);
}

/** Ends a delivery without another attempt (its endpoint was disabled or removed meanwhile). */
export async function markDeliveryAbandoned(id: string, error: string): Promise<void> {
  await getDb().webhookDelivery.updateMany({
    where: { id, status: "pending" },
    data: { status: "failed", error, nextAttemptAt: null, completedAt: new Date() },
  });
}

/** Disables an endpoint on Chorus's own decision (a 410 Gone), saying why. */
export async function disableWebhookEndpoint(id: string, reason: string): Promise<void> {
  await getDb().webhookEndpoint.updateMany({ where: { id }, data: { enabled: false, disabledReason: reason } });
}

// ── The team's setting ────────────────────────────────────────────────────────────────────────

export async function findTeamWebhookPrivateDestinations(teamId: string): Promise<boolean> {
  const team = await getDb().team.findUnique({ where: { id: teamId }, select: { webhookPrivateDestinations: true } });
  return team?.webhookPrivateDestinations ?? false;
}

export async function updateTeamWebhookPrivateDestinations(teamId: string, allowed: boolean): Promise<boolean> {
  const team = await getDb().team.update({
    where: { id: teamId },
    data: { webhookPrivateDestinations: allowed },
    select: { webhookPrivateDestinations: true },
  });
  return team.webhookPrivateDestinations;
}
