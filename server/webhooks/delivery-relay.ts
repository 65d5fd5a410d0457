import { inngest } from "@/inngest/client";
import { webhookDeliveryRequested } from "@/inngest/events";
import { listUndispatchedDeliveries, markDeliveriesDispatched } from "@/server/db/queries/webhooks";
import { logger } from "@/server/observability/logger";

/**
 * Hands the outbox to the durable delivery function. Deliveries are written by database triggers
 * in the same transaction as the status change they report (no event can be lost between a
 * commit and a send); this relay reads the rows not yet handed over, sends one
 * `chorus/webhook.delivery-requested` event each and marks them. The event id is derived from the
 * delivery, so a send repeated after a crash (or by two processes at once) starts no second run:
 * the executor — and Inngest — derive runs from event ids. One indexed query per interval per process.
 */
const BATCH = 100;

export async function relayWebhookDeliveries(): Promise<number> {
  const pending = await listUndispatchedDeliveries(BATCH);
  if (pending.length === 0) return 0;
  await inngest.send(
    pending.map((delivery) =>
      webhookDeliveryRequested.create({ deliveryId: delivery.id, teamId: delivery.teamId }, { id: `webhook-delivery-${delivery.id}` }),
    ),
  );
  await markDeliveriesDispatched(pending.map((delivery) => delivery.id));
  return pending.length;
}

/** Relays every `intervalMs` until the returned stop is called (which waits for a pass in progress). */
export function startWebhookRelay(intervalMs = 1000): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<void> = Promise.resolve();
  const tick = () => {
    pass = (async () => {
      try {
        // A full batch means more may be waiting: go again at once.
        while (!stopped && (await relayWebhookDeliveries()) === BATCH);
      } catch (error) {
        logger.warn("webhook deliveries could not be relayed; retrying", { error });
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    })();
  };
  tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await pass;
  };
}
