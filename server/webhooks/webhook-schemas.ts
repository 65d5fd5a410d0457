import { z } from "zod";
import { webhookEventTypes } from "@/server/domain/webhook-events";

/**
 * What an admin may send to register or change a webhook endpoint, as zod schemas (REST, tRPC and
 * the docs share them), and the events an endpoint can subscribe to.
 */

export { WEBHOOK_TEST_EVENT, webhookEventTypes, type WebhookEventType } from "@/server/domain/webhook-events";

export const webhookUrl = z
  .string()
  .max(2048)
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), "must be an http:// or https:// URL")
  .refine(
    (value) => !URL.canParse(value) || (new URL(value).username === "" && new URL(value).password === ""),
    "must not carry credentials (user:password@): the signature authenticates Chorus to the receiver",
  );

const events = z
  .array(z.enum(webhookEventTypes))
  .min(1, "must name at least one event")
  .max(webhookEventTypes.length)
  .transform((list) => [...new Set(list)]);

const description = z
  .string()
  .max(500)
  .regex(/^[^\u0000-\u0008\u000b-\u001f\u007f]*$/, "must be plain text (no control characters)");

export const createWebhookInput = z.strictObject({
  url: webhookUrl,
  description: description.optional(),
  events,
  enabled: z.boolean().optional(),
});

export const updateWebhookInput = z.strictObject({
  url: webhookUrl.optional(),
  description: description.optional(),
  events: events.optional(),
  enabled: z.boolean().optional(),
});

/** Ids are cuids or the triggers' `wd…` ids: short lower-case alphanumerics. */
const rowId = z.string().regex(/^[a-z0-9]{1,40}$/, "is not an id");

export const webhookIdInput = z.strictObject({ id: rowId });
export const updateWebhookProcedureInput = updateWebhookInput.extend({ id: rowId });
/** The query of a deliveries list: how many of the latest (default 50). */
export const listDeliveriesQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).optional() });
export const listDeliveriesInput = listDeliveriesQuery.extend({ id: rowId });
export const redeliverInput = z.strictObject({ id: rowId, deliveryId: rowId });

export const webhookSettingsInput = z.strictObject({
  /** Whether deliveries may go to private and loopback addresses (never link-local or cloud metadata ones). */
  allowPrivateDestinations: z.boolean(),
});
