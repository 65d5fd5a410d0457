import type { Metadata } from "next";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { listTeamApiKeys } from "@/server/teams/team-api-keys";
import { ApiKeyPanel } from "@/components/settings/api-key-settings";

export const metadata: Metadata = { title: "API keys · Settings" };
export const dynamic = "force-dynamic";

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** The team's API keys, for admins: create (the secret shown once), see when each was used and when it expires, revoke. */
export default async function ApiKeySettingsPage() {
  const caller = await dashboardCaller();
  if (!can(caller.role, "manage")) return <p className="text-sm text-slate-500">Only admins manage the team&apos;s API keys.</p>;
  const keys = await listTeamApiKeys(caller);
  const now = new Date();
  return (
    <section aria-labelledby="keys-heading" className="space-y-3">
      <h2 id="keys-heading" className="text-lg font-semibold">
        API keys
      </h2>
      <p className="text-sm text-slate-600">
        A key acts in this team with its role, for REST, tRPC and the CLI (<code>Authorization: Bearer &lt;key&gt;</code>). It can be no
        stronger than yours. Revoking stops it from the next request.
      </p>
      <ApiKeyPanel
        keys={keys.map((key) => ({
          id: key.id,
          name: key.name,
          prefix: key.prefix,
          role: key.role,
          createdBy: key.createdBy,
          createdAt: key.createdAt.toISOString(),
          lastUsedAt: iso(key.lastUsedAt),
          expiresAt: iso(key.expiresAt),
          revokedAt: iso(key.revokedAt),
          expired: key.expiresAt !== null && key.expiresAt <= now,
        }))}
      />
    </section>
  );
}
