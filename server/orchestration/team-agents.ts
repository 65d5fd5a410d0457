import { BUILT_IN_AGENT_KINDS, createCustomAgent, getAgent, listAgents, type Agent } from "@/server/agents";
import { listCustomAgentRows, type CustomAgentRow } from "@/server/db/queries/agent-definitions";

/** The agents a team's tasks can use: the built-ins plus the team's own definitions. */
export async function loadTeamAgents(teamId: string): Promise<Agent[]> {
  return listAgents(customAgentsFrom(await listCustomAgentRows(teamId)));
}

/** One agent by kind; built-ins need no database read. */
export async function loadTeamAgent(teamId: string, kind: string): Promise<Agent> {
  return BUILT_IN_AGENT_KINDS.includes(kind) ? getAgent(kind) : getAgent(kind, customAgentsFrom(await listCustomAgentRows(teamId)));
}

export function teamAgentsFrom(rows: readonly CustomAgentRow[]): Agent[] {
  return listAgents(customAgentsFrom(rows));
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
    }),
  );
}
