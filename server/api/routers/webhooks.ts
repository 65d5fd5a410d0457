import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import {
  createWebhookInput,
  listDeliveriesInput,
  redeliverInput,
  updateWebhookProcedureInput,
  webhookIdInput,
  webhookSettingsInput,
} from "@/server/webhooks/webhook-schemas";

/** A team's webhook endpoints and their deliveries, for admins: the same use-cases as /api/v1/webhooks. */
export const webhooksRouter = createTRPCRouter({
  list: procedureFor("manage", "read").query(({ ctx }) => ctx.services.webhooks.list(ctx.caller)),
  get: procedureFor("manage", "read")
    .input(webhookIdInput)
    .query(({ ctx, input }) => ctx.services.webhooks.get(ctx.caller, input.id)),
  create: procedureFor("manage")
    .input(createWebhookInput)
    .mutation(({ ctx, input }) => ctx.services.webhooks.create(ctx.caller, input)),
  update: procedureFor("manage")
    .input(updateWebhookProcedureInput)
    .mutation(({ ctx, input: { id, ...changes } }) => ctx.services.webhooks.update(ctx.caller, id, changes)),
  delete: procedureFor("manage")
    .input(webhookIdInput)
    .mutation(({ ctx, input }) => ctx.services.webhooks.delete(ctx.caller, input.id)),
  rotateSecret: procedureFor("manage")
    .input(webhookIdInput)
    .mutation(({ ctx, input }) => ctx.services.webhooks.rotateSecret(ctx.caller, input.id)),
  test: procedureFor("manage")
    .input(webhookIdInput)
    .mutation(({ ctx, input }) => ctx.services.webhooks.test(ctx.caller, input.id)),
  deliveries: procedureFor("manage", "read")
    .input(listDeliveriesInput)
    .query(({ ctx, input: { id, ...query } }) => ctx.services.webhooks.deliveries(ctx.caller, id, query)),
  redeliver: procedureFor("manage")
    .input(redeliverInput)
    .mutation(({ ctx, input }) => ctx.services.webhooks.redeliver(ctx.caller, input.id, input.deliveryId)),
  settings: procedureFor("manage", "read").query(({ ctx }) => ctx.services.webhooks.settings(ctx.caller)),
  updateSettings: procedureFor("manage")
    .input(webhookSettingsInput)
    .mutation(({ ctx, input }) => ctx.services.webhooks.updateSettings(ctx.caller, input)),
});
