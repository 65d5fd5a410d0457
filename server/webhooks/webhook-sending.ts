import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { SECRET_COLUMNS, secretContext } from "@/server/db/queries/stored-secrets";
import {
  disableWebhookEndpoint,
  findDeliveryForSending,
  markDeliveryAbandoned,
  recordWebhookAttempt,
  type WebhookDeliveryRow,
} from "@/server/db/queries/webhooks";
import type { JsonObject } from "@/server/db/types";
import { getEnv } from "@/server/env";
import { logger, registerSecret } from "@/server/observability/logger";
import { decryptSecret, encryptSecret } from "@/server/secrets/envelope";
import { FetchFailedError, FetchRefusedError } from "@/server/web/guarded-fetch";
import { guardedPost, PRIVATE_DESTINATIONS_POLICY } from "@/server/web/guarded-post";

/**
 * One delivery attempt of a webhook, as the durable delivery function and a test send make it:
 * read the delivery and its endpoint, build the body, sign it the Standard Webhooks way
 * (`standardwebhooks`: `webhook-id`, `webhook-timestamp`, `webhook-signature`), POST it through
 * the SSRF guard without following redirects, and record what came back. The signing secrets
 * live here too: made, encrypted and read back, never returned twice and never logged.
 */

/** The first bytes of a receiver's answer kept with an attempt. */
export const RESPONSE_EXCERPT_BYTES = 1024;
export const WEBHOOK_TIMEOUT_MS = 10_000;

const SECRET_COLUMN = SECRET_COLUMNS.find((column) => column.table === "WebhookEndpoint")!;
const secretContextOf = (endpointId: string) => secretContext(SECRET_COLUMN, endpointId);

/** A new signing secret in the Standard Webhooks format: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

export function encryptWebhookSecret(endpointId: string, secret: string): string {
  return encryptSecret(secret, { context: secretContextOf(endpointId) });
}

function readWebhookSecret(endpointId: string, ciphertext: string): string {
  const secret = decryptSecret(ciphertext, { context: secretContextOf(endpointId) });
  registerSecret(secret);
  registerSecret(secret.slice("whsec_".length));
  return secret;
}

/** The pause before each attempt, in seconds: the first is attempt 1's (0 = at once). CHORUS_WEBHOOK_RETRY_DELAYS. */
export function webhookRetryDelaysSeconds(): number[] {
  return getEnv().CHORUS_WEBHOOK_RETRY_DELAYS;
}

/** The body as sent: the stored `{ type, timestamp, data }` with links to the task when there is one. */
export function webhookBody(delivery: Pick<WebhookDeliveryRow, "payload" | "taskId">): string {
  const payload = delivery.payload as JsonObject;
  const data = { ...((payload.data ?? {}) as JsonObject) };
  if (delivery.taskId) {
    const origin = getEnv().AUTH_URL ? new URL(getEnv().AUTH_URL!).origin : "";
    data.links = { task: `${origin}/tasks/${delivery.taskId}`, api: `${origin}/api/v1/tasks/${delivery.taskId}` };
  }
  return JSON.stringify({ type: payload.type, timestamp: payload.timestamp, data });
}

/** What an attempt came to: delivered (2xx), retry later, or over (failed for good, or nothing left to send). */
export type AttemptOutcome = "succeeded" | "retry" | "failed" | "gone";

/**
 * Makes attempt `attempt` of the delivery and records it. `nextDelaySeconds` is the pause before
 * the next attempt, or null when this is the last one (a failure then ends the delivery). A
 * delivery whose endpoint was disabled meanwhile is ended unsent, except a test send's.
 */
export async function attemptWebhookDelivery(
  deliveryId: string,
  attempt: number,
  nextDelaySeconds: number | null,
  options: { evenIfDisabled?: boolean } = {},
): Promise<AttemptOutcome> {
  const delivery = await findDeliveryForSending(deliveryId);
  if (!delivery || delivery.status !== "pending") return "gone";
  const endpoint = delivery.endpoint;
  if (!endpoint.enabled && !options.evenIfDisabled) {
    await markDeliveryAbandoned(deliveryId, "The endpoint was disabled before this delivery could be made");
    return "gone";
  }
  const secret = readWebhookSecret(endpoint.id, endpoint.secretEncrypted);
  const body = webhookBody(delivery);
  // Whole seconds: the header carries seconds, and the signature must cover exactly what it says.
  const sentAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const headers = {
    "webhook-id": delivery.messageId,
    "webhook-timestamp": String(sentAt.getTime() / 1000),
    "webhook-signature": new Webhook(secret).sign(delivery.messageId, sentAt, body),
  };
  const started = performance.now();
  let statusCode: number | null = null;
  let excerpt: string | null = null;
  let error: string | null = null;
  let retryable = true;
  try {
    const answer = await guardedPost(endpoint.url, body, {
      headers,
      policy: endpoint.team.webhookPrivateDestinations ? PRIVATE_DESTINATIONS_POLICY : undefined,
      timeoutMs: WEBHOOK_TIMEOUT_MS,
      maxResponseBytes: RESPONSE_EXCERPT_BYTES,
    });
    statusCode = answer.status;
    excerpt = answer.bodyExcerpt || null;
  } catch (failure) {
    if (failure instanceof FetchRefusedError) {
      retryable = false;
      error =
        failure.reason === "private-address"
          ? `${failure.message.replace("web fetches may not reach", "webhooks may not reach")} (an admin can allow private destinations in the team's webhook settings; link-local and metadata addresses stay refused)`
          : failure.message;
    } else if (failure instanceof FetchFailedError) {
      error = failure.message;
    } else {
      logger.warn("a webhook attempt failed unexpectedly", { deliveryId, attempt, error: failure });
      error = "The request could not be made";
    }
  }
  const durationMs = Math.round(performance.now() - started);
  const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300;
  const gone = statusCode === 410;
  if (statusCode !== null && !delivered) error = gone ? "The receiver answered 410 Gone: the endpoint was disabled" : `HTTP ${statusCode}`;
  const again = !delivered && !gone && retryable && nextDelaySeconds !== null;
  await recordWebhookAttempt({
    teamId: delivery.teamId,
    deliveryId,
    attempt,
    statusCode,
    durationMs,
    responseExcerpt: excerpt,
    error,
    status: delivered ? "succeeded" : again ? "pending" : "failed",
    nextAttemptAt: again ? new Date(Date.now() + nextDelaySeconds * 1000) : null,
  });
  if (gone) {
    await disableWebhookEndpoint(endpoint.id, `Disabled by Chorus: the receiver answered 410 Gone at ${new Date().toISOString()}`);
    logger.info("a webhook endpoint answered 410 Gone and was disabled", { teamId: delivery.teamId, endpointId: endpoint.id });
  }
  return delivered ? "succeeded" : again ? "retry" : "failed";
}
