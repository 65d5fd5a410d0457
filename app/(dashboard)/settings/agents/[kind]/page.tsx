import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { AppError } from "@/server/errors";
import { agentFieldChoices, getAgentDefinition, listAgentVersions } from "@/server/teams/agent-definitions";
import { AgentEditor } from "@/components/agents/agent-editor";
import { DeleteAgentButton } from "@/components/agents/delete-agent-button";
import { TryAgent } from "@/components/agents/try-agent";

export const metadata: Metadata = { title: "Agent · Settings" };
export const dynamic = "force-dynamic";

/** One agent: its editor (read-only for non-admins), version history, delete, and the "try it" box. */
export default async function AgentSettingsPage({ params }: { params: Promise<{ kind: string }> }) {
  const caller = await dashboardCaller();
  const { kind } = await params;
  const [{ agent }, { versions }] = await Promise.all([getAgentDefinition(caller, kind), listAgentVersions(caller, kind)]).catch(
    (error) => {
      if (error instanceof AppError && error.code === "not_found") notFound();
      throw error;
    },
  );
  const canManage = can(caller.role, "manage");

  return (
    <div className="space-y-6">
      <Link href="/settings/agents" className="text-sm text-indigo-700 hover:underline">
        ← All agents
      </Link>
      <header className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="text-lg font-semibold">{agent.name}</h2>
        <p className="text-sm text-slate-500">
          {agent.kind} · {"version" in agent ? `version ${agent.version}` : "built-in"}
        </p>
      </header>

      <section aria-labelledby="definition-heading" className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
        <h3 id="definition-heading" className="mb-3 text-base font-semibold">
          Definition
        </h3>
        {"version" in agent ? (
          <AgentEditor
            mode="edit"
            initial={{
              kind: agent.kind,
              name: agent.name,
              description: agent.description,
              instructions: agent.instructions,
              capabilities: agent.capabilities,
              modelId: agent.modelId,
              tools: agent.tools,
              outputFormat: agent.outputFormat,
            }}
            readOnly={!canManage}
            {...agentFieldChoices()}
          />
        ) : (
          <div className="space-y-2 text-sm text-slate-700">
            <p>{agent.description}</p>
            <p className="text-slate-500">A built-in agent: Chorus defines it, and it cannot be edited.</p>
            <ul className="flex flex-wrap gap-1" aria-label="Capabilities">
              {agent.capabilities.map((capability) => (
                <li key={capability} className="rounded-full bg-slate-100 px-2 py-0.5 text-xs">
                  {capability}
                </li>
              ))}
            </ul>
          </div>
        )}
      </section>

      <section aria-labelledby="try-heading" className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
        <h3 id="try-heading" className="mb-3 text-base font-semibold">
          Try it
        </h3>
        {can(caller.role, "execute") ? (
          <TryAgent kind={agent.kind} />
        ) : (
          <p className="text-sm text-slate-600">Your role ({caller.role}) cannot run agents.</p>
        )}
      </section>

      {"version" in agent ? (
        <section aria-labelledby="versions-heading" className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
          <h3 id="versions-heading" className="mb-3 text-base font-semibold">
            Version history
          </h3>
          <ol className="divide-y divide-slate-100 text-sm" data-testid="agent-versions">
            {versions.map((version) => (
              <li key={version.id} className="flex flex-wrap items-baseline justify-between gap-2 py-2">
                <span>
                  <span className="font-medium">Version {version.version}</span>
                  {version.version === agent.version ? <span className="ml-2 text-xs text-green-700">current</span> : null}
                  <span className="block text-xs text-slate-500">
                    {version.name} · {version.capabilities.join(", ")}
                    {version.tools.length > 0 ? ` · tools: ${version.tools.join(", ")}` : ""} · {version.outputFormat.slice(0, 40)}
                  </span>
                </span>
                <span className="text-xs text-slate-600">
                  {version.createdBy ? (version.createdBy.name ?? version.createdBy.email) : "an API key"} ·{" "}
                  <time dateTime={version.createdAt.toISOString()}>
                    {version.createdAt.toISOString().replace("T", " ").slice(0, 16)} UTC
                  </time>
                </span>
              </li>
            ))}
          </ol>
        </section>
      ) : null}

      {"version" in agent && canManage ? (
        <section aria-labelledby="danger-heading" className="space-y-2">
          <h3 id="danger-heading" className="text-base font-semibold">
            Delete
          </h3>
          <DeleteAgentButton kind={agent.kind} name={agent.name} />
        </section>
      ) : null}
    </div>
  );
}
