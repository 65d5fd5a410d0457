import { BUILT_IN_AGENT_KINDS, createCustomAgent, getAgent, listAgents, type Agent } from "@/server/agents";
import { query } from "@/server/db/client";

/** The agents a team's tasks can use: the built-ins plus the team's own definitions. */
export async function loadTeamAgents(teamId: string): Promise<Agent[]> {
  return listAgents(customAgentsFrom(await readCustomAgentRows(teamId)));
}

/** One agent by kind; built-ins need no database read. */
export async function loadTeamAgent(teamId: string, kind: string): Promise<Agent> {
  return BUILT_IN_AGENT_KINDS.includes(kind) ? getAgent(kind) : getAgent(kind, customAgentsFrom(await readCustomAgentRows(teamId)));
}

/** A team's AgentDefinition rows as they are read, oldest first. */
export interface CustomAgentRow {
  kind: string;
  name: string;
  description: string;
  instructions: string;
  capabilities: string[];
  modelId: string | null;
}

/**
 * The columns of a team's definitions as one JSON array, for statements that read them along
 * with other rows (`teamIdSql` is the SQL expression of the team's id).
 */
export const customAgentRowsSql = (teamIdSql: string) => `(SELECT COALESCE(json_agg(json_build_object(
    'kind', d.kind, 'name', d.name, 'description', d.description, 'instructions', d.instructions,
    'capabilities', COALESCE(d.capabilities, '{}'), 'modelId', d."modelId") ORDER BY d."createdAt"), '[]'::json)
  FROM "AgentDefinition" d WHERE d."teamId" = ${teamIdSql})`;

async function readCustomAgentRows(teamId: string): Promise<CustomAgentRow[]> {
  const { rows } = await query<{ agents: CustomAgentRow[] }>(`SELECT ${customAgentRowsSql("$1")} AS agents`, [teamId]);
  return rows[0]!.agents;
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
