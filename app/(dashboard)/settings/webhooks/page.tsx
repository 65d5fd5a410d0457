import type { Metadata } from "next";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { listWebhookDeliveries, listWebhookEndpoints, readWebhookSettings } from "@/server/webhooks/webhook-endpoints";
import { PrivateDestinationsSetting, WebhookEndpoints } from "@/components/settings/webhook-settings";

export const metadata: Metadata = { title: "Webhooks · Settings" };
export const dynamic = "force-dynamic";

/** Recent deliveries shown under each endpoint. */
const RECENT_DELIVERIES = 10;

/** Where the team's signed webhooks go, what they carry, and how the last deliveries went. Admins only. */
export default async function WebhookSettingsPage() {
  const caller = await dashboardCaller();
  if (!can(caller.role, "manage")) {
    return (
      <section aria-labelledby="webhooks-heading" className="space-y-3">
        <h2 id="webhooks-heading" className="text-lg font-semibold">
          Webhooks
        </h2>
        <p className="text-sm text-slate-600">Only admins can see and manage the team&apos;s webhooks.</p>
      </section>
    );
  }
  const [{ endpoints }, settings] = await Promise.all([listWebhookEndpoints(caller), readWebhookSettings(caller)]);
  const withDeliveries = await Promise.all(
    endpoints.map(async (endpoint) => ({
      ...endpoint,
      deliveries: (await listWebhookDeliveries(caller, endpoint.id, { limit: RECENT_DELIVERIES })).deliveries,
    })),
  );
  return (
    <div className="space-y-8">
      <section aria-labelledby="webhooks-heading" className="space-y-3">
        <h2 id="webhooks-heading" className="text-lg font-semibold">
          Webhooks
        </h2>
        <p className="text-sm text-slate-600">
          Chorus POSTs a signed JSON event to each endpoint when a task completes, fails, is cancelled, waits for approval or stops at its
          budget, and when the team nears its monthly budget. Signatures follow Standard Webhooks; a failed delivery is retried for up to a
          day. See <code>docs/webhooks.md</code> for the payload and how to verify it.
        </p>
        <WebhookEndpoints endpoints={withDeliveries} />
      </section>
      <section aria-labelledby="destinations-heading" className="space-y-3">
        <h2 id="destinations-heading" className="text-lg font-semibold">
          Private destinations
        </h2>
        <p className="text-sm text-slate-600">
          Webhooks go only to public addresses unless you allow private and loopback ones (a receiver on your own network). Link-local and
          cloud metadata addresses are always refused.
        </p>
        <PrivateDestinationsSetting allowed={settings.allowPrivateDestinations} />
      </section>
    </div>
  );
}
