import { inngest } from "@/inngest/client";
import { webhookDeliveryRequested } from "@/inngest/events";
import { attemptWebhookDelivery, webhookRetryDelaysSeconds } from "@/server/webhooks/webhook-sending";

/**
 * Sends one webhook delivery with retries over up to a day: attempt, and on a failure sleep
 * (`step.sleep`, stored by the executor, so a restart resumes the schedule rather than losing
 * it) and attempt again, per CHORUS_WEBHOOK_RETRY_DELAYS (Standard Webhooks' schedule by
 * default). A 2xx ends it; so does a 410 (the endpoint is disabled), a refused destination, or
 * the last attempt. Each attempt is one step: recorded once, never repeated on a replay.
 */
export const webhookDelivery = inngest.createFunction(
  { id: "webhook-delivery", triggers: [webhookDeliveryRequested], retries: 2 },
  async ({ event, step }) => {
    // Fixed when the run starts, so a replay walks the same schedule whatever the configuration says later.
    const delays = await step.run("read retry schedule", () => webhookRetryDelaysSeconds());
    for (let attempt = 1; attempt <= delays.length; attempt += 1) {
      const delay = delays[attempt - 1]!;
      if (delay > 0) await step.sleep(`wait before attempt ${attempt}`, `${delay}s`);
      const next = attempt < delays.length ? delays[attempt]! : null;
      const outcome = await step.run(`attempt ${attempt}`, () => attemptWebhookDelivery(event.data.deliveryId, attempt, next));
      if (outcome !== "retry") return { outcome, attempts: attempt };
    }
    return { outcome: "failed", attempts: delays.length };
  },
);
