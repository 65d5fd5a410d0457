import { isIP } from "node:net";
import { randomUUID } from "node:crypto";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { recordAudit } from "@/server/audit/record-audit";
import {
  deleteTeamWebhookEndpoint,
  findTeamDelivery,
  findTeamWebhookEndpoint,
  findTeamWebhookPrivateDestinations,
  insertWebhookDelivery,
  insertWebhookEndpoint,
  listEndpointDeliveries,
  listTeamWebhookEndpoints,
  updateTeamWebhookEndpoint,
  updateTeamWebhookPrivateDestinations,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from "@/server/db/queries/webhooks";
import { newRowId } from "@/server/db/row-id";
import type { JsonObject } from "@/server/db/types";
import { AppError } from "@/server/errors";
import { parseInput } from "@/server/validation";
import { checkAddress } from "@/server/web/address-guard";
import { compileFetchPolicy } from "@/server/web/policy-entries";
import { PRIVATE_DESTINATIONS_POLICY } from "@/server/web/guarded-post";
import { createWebhookInput, listDeliveriesInput, updateWebhookInput, WEBHOOK_TEST_EVENT, webhookSettingsInput } from "./webhook-schemas";
import { attemptWebhookDelivery, encryptWebhookSecret, newWebhookSecret } from "./webhook-sending";

/**
 * Webhook use-cases, all for admins ("manage"): endpoints (list, read, register, change, remove,
 * rotate the secret), their deliveries (list, redeliver one, send a test now), and the team's
 * setting for private destinations. The signing secret is in the answer of create and rotate
 * only; no other answer carries it.
 */

export function presentWebhookEndpoint(row: WebhookEndpointRow) {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
export type WebhookEndpointView = ReturnType<typeof presentWebhookEndpoint>;

export function presentWebhookDelivery(row: WebhookDeliveryRow) {
  return {
    id: row.id,
    messageId: row.messageId,
    eventType: row.eventType,
    taskId: row.taskId,
    status: row.status as "pending" | "succeeded" | "failed",
    attempts: row.attempts,
    responseStatus: row.responseStatus,
    durationMs: row.durationMs,
    responseExcerpt: row.responseExcerpt,
    error: row.error,
    nextAttemptAt: row.nextAttemptAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
  };
}
export type WebhookDeliveryView = ReturnType<typeof presentWebhookDelivery>;

const ROW_ID = /^[a-z0-9]{1,40}$/;

function notFound(id: string): AppError {
  return new AppError("not_found", `No webhook endpoint "${id.slice(0, 40)}" in your team`, "id");
}

async function endpointOfTeam(caller: Caller, id: string): Promise<WebhookEndpointRow> {
  const row = ROW_ID.test(id) ? await findTeamWebhookEndpoint(caller.teamId, id) : null;
  if (!row) throw notFound(id);
  return row;
}

/**
 * Refuses a URL whose host is an address the team may not send to. Names are checked when a
 * delivery resolves them (pinned, every time): DNS can change after an endpoint is saved.
 */
async function assertDestinationAllowed(teamId: string, url: string) {
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
  if (!isIP(host)) return;
  const allowPrivate = await findTeamWebhookPrivateDestinations(teamId);
  const verdict = checkAddress(host, host, compileFetchPolicy(allowPrivate ? PRIVATE_DESTINATIONS_POLICY : undefined));
  if (!verdict.allowed) {
    throw new AppError(
      "bad_request",
      `url: ${host} is ${/^[aeiou]/.test(verdict.range) ? "an" : "a"} ${verdict.range} address, which webhooks may not reach` +
        (["link-local", "metadata", "unspecified", "multicast", "broadcast"].includes(verdict.range)
          ? ""
          : " (an admin can allow private destinations in the team's webhook settings)"),
      "url",
    );
  }
}

export async function listWebhookEndpoints(caller: Caller) {
  requirePermission(caller, "manage");
  return { endpoints: (await listTeamWebhookEndpoints(caller.teamId)).map(presentWebhookEndpoint) };
}

export async function getWebhookEndpoint(caller: Caller, id: string) {
  requirePermission(caller, "manage");
  return presentWebhookEndpoint(await endpointOfTeam(caller, id));
}

/** Registers an endpoint; the answer holds its signing secret, shown this once. */
export async function createWebhookEndpoint(caller: Caller, rawInput: unknown) {
  requirePermission(caller, "manage");
  const input = parseInput(createWebhookInput, rawInput);
  await assertDestinationAllowed(caller.teamId, input.url);
  const id = newRowId();
  const secret = newWebhookSecret();
  const row = await insertWebhookEndpoint(caller.teamId, {
    id,
    url: input.url,
    description: input.description ?? "",
    events: input.events,
    enabled: input.enabled ?? true,
    secretEncrypted: encryptWebhookSecret(id, secret),
  });
  await recordAudit(caller, { action: "webhook.created", target: { type: "webhook", id }, details: { events: input.events } });
  return { endpoint: presentWebhookEndpoint(row), secret };
}

export async function updateWebhookEndpoint(caller: Caller, id: string, rawInput: unknown) {
  requirePermission(caller, "manage");
  await endpointOfTeam(caller, id);
  const input = parseInput(updateWebhookInput, rawInput);
  if (input.url !== undefined) await assertDestinationAllowed(caller.teamId, input.url);
  const row = await updateTeamWebhookEndpoint(caller.teamId, id, {
    ...input,
    // An admin's own choice replaces the reason Chorus gave for disabling it.
    ...(input.enabled !== undefined ? { disabledReason: null } : {}),
  });
  if (!row) throw notFound(id);
  await recordAudit(caller, { action: "webhook.updated", target: { type: "webhook", id }, details: { fields: Object.keys(input) } });
  return presentWebhookEndpoint(row);
}

export async function deleteWebhookEndpoint(caller: Caller, id: string) {
  requirePermission(caller, "manage");
  if (!ROW_ID.test(id) || !(await deleteTeamWebhookEndpoint(caller.teamId, id))) throw notFound(id);
  await recordAudit(caller, { action: "webhook.deleted", target: { type: "webhook", id } });
  return { deleted: id };
}

/** Replaces the signing secret at once (deliveries from now on are signed with the new one); the answer holds it, shown this once. */
export async function rotateWebhookSecret(caller: Caller, id: string) {
  requirePermission(caller, "manage");
  await endpointOfTeam(caller, id);
  const secret = newWebhookSecret();
  const row = await updateTeamWebhookEndpoint(caller.teamId, id, { secretEncrypted: encryptWebhookSecret(id, secret) });
  if (!row) throw notFound(id);
  await recordAudit(caller, { action: "webhook.secret_rotated", target: { type: "webhook", id } });
  return { endpoint: presentWebhookEndpoint(row), secret };
}

export async function listWebhookDeliveries(caller: Caller, id: string, rawQuery: unknown = {}) {
  requirePermission(caller, "manage");
  const { limit } = parseInput(listDeliveriesInput, { ...(rawQuery as object), id });
  await endpointOfTeam(caller, id);
  return { deliveries: (await listEndpointDeliveries(caller.teamId, id, limit ?? 50)).map(presentWebhookDelivery) };
}

/**
 * Sends a `webhook.test` event to the endpoint now — once, whether or not it is enabled — and
 * answers with the recorded delivery (status, response code, duration, excerpt or error).
 */
export async function testWebhookEndpoint(caller: Caller, id: string) {
  requirePermission(caller, "manage");
  const endpoint = await endpointOfTeam(caller, id);
  const delivery = await insertWebhookDelivery({
    teamId: caller.teamId,
    endpointId: endpoint.id,
    messageId: `msg_${randomUUID().replaceAll("-", "")}`,
    eventType: WEBHOOK_TEST_EVENT,
    taskId: null,
    payload: {
      type: WEBHOOK_TEST_EVENT,
      timestamp: new Date().toISOString(),
      data: { endpointId: endpoint.id, message: "A test event from Chorus: this endpoint receives signed webhooks." },
    },
    dispatched: true,
  });
  await attemptWebhookDelivery(delivery.id, 1, null, { evenIfDisabled: true });
  const sent = await findTeamDelivery(caller.teamId, endpoint.id, delivery.id);
  await recordAudit(caller, {
    action: "webhook.test_sent",
    target: { type: "webhook", id: endpoint.id },
    details: { status: sent?.status },
  });
  return presentWebhookDelivery(sent ?? delivery);
}

/**
 * Sends a delivery again as a new delivery with the same message (the same `webhook-id`, so a
 * receiver that already handled it can tell), through the durable retries.
 */
export async function redeliverWebhook(caller: Caller, id: string, deliveryId: string) {
  requirePermission(caller, "manage");
  const endpoint = await endpointOfTeam(caller, id);
  const original = ROW_ID.test(deliveryId) ? await findTeamDelivery(caller.teamId, endpoint.id, deliveryId) : null;
  if (!original) throw new AppError("not_found", `No delivery "${deliveryId.slice(0, 40)}" for this endpoint`, "deliveryId");
  if (original.status === "pending") throw new AppError("conflict", "This delivery is still being attempted", "deliveryId");
  if (!endpoint.enabled) throw new AppError("conflict", "The endpoint is disabled: enable it first", "id");
  const copy = await insertWebhookDelivery({
    teamId: caller.teamId,
    endpointId: endpoint.id,
    messageId: original.messageId,
    eventType: original.eventType,
    taskId: original.taskId,
    payload: original.payload as JsonObject,
    dispatched: false,
  });
  return presentWebhookDelivery(copy);
}

export async function readWebhookSettings(caller: Caller) {
  requirePermission(caller, "manage");
  return { allowPrivateDestinations: await findTeamWebhookPrivateDestinations(caller.teamId) };
}

export async function updateWebhookSettings(caller: Caller, rawInput: unknown) {
  requirePermission(caller, "manage");
  const input = parseInput(webhookSettingsInput, rawInput);
  const allowPrivateDestinations = await updateTeamWebhookPrivateDestinations(caller.teamId, input.allowPrivateDestinations);
  await recordAudit(caller, { action: "settings.webhook_destinations_updated", details: { allowPrivateDestinations } });
  return { allowPrivateDestinations };
}
