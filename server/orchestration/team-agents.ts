import { BUILT_IN_AGENT_KINDS, createCustomAgent, getAgent, listAgents, UnknownAgentError, type Agent } from "@/server/agents";
import { isBuiltInToolName } from "@/server/agents/tools/catalog";
import { findAgentVersionRow, listCustomAgentRows, type CustomAgentRow } from "@/server/db/queries/agent-definitions";

/** The agents a team's tasks can use: the built-ins plus the team's own definitions. */
export async function loadTeamAgents(teamId: string): Promise<Agent[]> {
  return listAgents(customAgentsFrom(await listCustomAgentRows(teamId)));
}

/** The version of a team agent a task recorded when it was planned (AgentStepInput.agentVersion). */
export type RecordedAgentVersion = { id: string; version: number }; // a type, not an interface: it is stored as JSON

/**
 * One agent by kind; built-ins need no database read. A team agent runs the version its task
 * recorded when there is one — so an edit (or a delete) mid-task changes no running step — and
 * its current version otherwise.
 */
export async function loadTeamAgent(teamId: string, kind: string, recorded?: RecordedAgentVersion): Promise<Agent> {
  if (BUILT_IN_AGENT_KINDS.includes(kind)) return getAgent(kind);
  if (recorded) {
    const row = await findAgentVersionRow(teamId, recorded.id);
    if (!row || row.kind !== kind) throw new UnknownAgentError(kind, BUILT_IN_AGENT_KINDS);
    return customAgentsFrom([row])[0]!;
  }
  return getAgent(kind, customAgentsFrom(await listCustomAgentRows(teamId)));
}

export function teamAgentsFrom(rows: readonly CustomAgentRow[]): Agent[] {
  return listAgents(customAgentsFrom(rows));
}

/** The current version of each team agent, by kind: what a task records when it is planned. */
export function currentAgentVersions(rows: readonly CustomAgentRow[]): Record<string, RecordedAgentVersion> {
  return Object.fromEntries(rows.flatMap((row) => (row.versionId ? [[row.kind, { id: row.versionId, version: row.version }]] : [])));
}

function customAgentsFrom(rows: readonly CustomAgentRow[]): Agent[] {
  return rows.map((row) =>
    createCustomAgent({
      kind: row.kind,
      name: row.name,
      description: row.description,
      instructions: row.instructions,
      capabilities: row.capabilities,
      modelId: row.modelId ?? undefined,
      // A stored name the catalog no longer has is dropped, not fatal: it must not stop every task of the team.
      tools: row.tools.filter(isBuiltInToolName),
      outputFormat: row.outputFormat,
    }),
  );
}
