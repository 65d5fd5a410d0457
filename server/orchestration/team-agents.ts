import { BUILT_IN_AGENT_KINDS, createCustomAgent, getAgent, listAgents, type Agent } from "@/server/agents";
import { getDb } from "@/server/db/client";

/** The agents a team's tasks can use: the built-ins plus the team's own definitions. */
export async function loadTeamAgents(teamId: string): Promise<Agent[]> {
  return listAgents(await loadCustomAgents(teamId));
}

/** One agent by kind; built-ins need no database read. */
export async function loadTeamAgent(teamId: string, kind: string): Promise<Agent> {
  return BUILT_IN_AGENT_KINDS.includes(kind) ? getAgent(kind) : getAgent(kind, await loadCustomAgents(teamId));
}

async function loadCustomAgents(teamId: string): Promise<Agent[]> {
  const rows = await getDb().agentDefinition.findMany({ where: { teamId }, orderBy: { createdAt: "asc" } });
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
