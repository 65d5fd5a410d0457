import type { Metadata } from "next";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { listModelProviders, readModelRouting } from "@/server/teams/model-providers";
import { ModelProviders, ModelRoutingForm } from "@/components/settings/model-settings";

export const metadata: Metadata = { title: "Models · Settings" };
export const dynamic = "force-dynamic";

/** The team's own model providers (keys shown only as ••••last4) and which models serve each role and agent. */
export default async function ModelSettingsPage() {
  const caller = await dashboardCaller();
  const [{ providers }, routing] = await Promise.all([listModelProviders(caller), readModelRouting(caller)]);
  const canManage = can(caller.role, "manage");
  return (
    <div className="space-y-8">
      <section aria-labelledby="providers-heading" className="space-y-3">
        <h2 id="providers-heading" className="text-lg font-semibold">
          Model providers
        </h2>
        <p className="text-sm text-slate-600">
          Your team&apos;s own OpenAI, Anthropic or OpenAI-compatible accounts. Keys are stored encrypted and never shown again: only their
          last four characters. Without any, tasks use this instance&apos;s provider.
        </p>
        <ModelProviders providers={providers} canManage={canManage} />
      </section>
      <section aria-labelledby="routing-heading" className="space-y-3">
        <h2 id="routing-heading" className="text-lg font-semibold">
          Which models serve what
        </h2>
        <p className="text-sm text-slate-600">
          For each role and agent, an ordered list: the first model is used, the next ones are fallbacks (at most 5). A role with no list
          uses the team default; with no default, the instance&apos;s provider.
        </p>
        <ModelRoutingForm routing={routing.routing} providers={routing.providers} agentKinds={routing.agentKinds} canManage={canManage} />
      </section>
    </div>
  );
}
