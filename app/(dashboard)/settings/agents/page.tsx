import type { Metadata } from "next";
import Link from "next/link";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { agentFieldChoices, listAgentDefinitions } from "@/server/teams/agent-definitions";
import { NewAgent } from "@/components/agents/new-agent";

export const metadata: Metadata = { title: "Agents · Settings" };
export const dynamic = "force-dynamic";

export default async function AgentsSettingsPage() {
  const caller = await dashboardCaller();
  const { agents } = await listAgentDefinitions(caller);
  const builtIn = agents.filter((agent) => agent.builtIn);
  const team = agents.filter((agent) => !agent.builtIn);
  const canManage = can(caller.role, "manage");

  return (
    <div className="space-y-8">
      <section aria-labelledby="team-agents-heading" className="space-y-3">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 id="team-agents-heading" className="text-lg font-semibold">
            Your team’s agents
          </h2>
        </div>
        {canManage ? <NewAgent {...agentFieldChoices()} /> : null}
        {team.length === 0 ? (
          <p className="rounded-md bg-slate-100 px-4 py-3 text-sm text-slate-700">
            No agents of your own yet.{" "}
            {canManage ? "Create one: the planner routes steps to it by its capabilities." : "An admin can create them."}
          </p>
        ) : (
          <AgentList agents={team} />
        )}
      </section>
      <section aria-labelledby="built-in-agents-heading" className="space-y-3">
        <h2 id="built-in-agents-heading" className="text-lg font-semibold">
          Built-in agents
        </h2>
        <AgentList agents={builtIn} />
      </section>
    </div>
  );
}

function AgentList({
  agents,
}: {
  agents: Array<{ kind: string; name: string; description: string; capabilities: string[]; builtIn: boolean; version?: number }>;
}) {
  return (
    <ul className="grid gap-3 sm:grid-cols-2" data-testid="agent-list">
      {agents.map((agent) => (
        <li key={agent.kind} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
          <div className="flex items-baseline justify-between gap-2">
            <Link href={`/settings/agents/${encodeURIComponent(agent.kind)}`} className="font-medium text-indigo-700 hover:underline">
              {agent.name}
            </Link>
            <span className="text-xs text-slate-500">{agent.builtIn ? "built-in" : `v${agent.version}`}</span>
          </div>
          <p className="text-xs text-slate-500">{agent.kind}</p>
          <p className="mt-1 text-sm text-slate-700">{agent.description}</p>
          <ul className="mt-2 flex flex-wrap gap-1" aria-label="Capabilities">
            {agent.capabilities.map((capability) => (
              <li key={capability} className="rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-700">
                {capability}
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}
