import { getDb, query } from "@/server/db/client";
import type { Prisma } from "@/server/db/generated/client";

/**
 * Team-defined agents, `AgentDefinition` rows, unique per (team, kind). Every query takes the
 * team and filters by it. Management (list, create, delete) goes through Prisma; the rows the
 * agent steps and the planner read on every task are one plain-SQL statement (or a subquery of
 * one, customAgentRowsSql).
 */

/** What the dashboard and API show of a definition. */
const select = {
  id: true,
  kind: true,
  name: true,
  description: true,
  instructions: true,
  capabilities: true,
  modelId: true,
  createdAt: true,
  updatedAt: true,
};

/** The team's definitions, oldest first. */
export async function listTeamAgentDefinitions(teamId: string) {
  return getDb().agentDefinition.findMany({ where: { teamId }, select, orderBy: { createdAt: "asc" } });
}

/** Stores a definition; a kind the team already has fails with a unique violation (isUniqueViolation). */
export async function insertAgentDefinition(
  teamId: string,
  definition: Pick<
    Prisma.AgentDefinitionUncheckedCreateInput,
    "kind" | "name" | "description" | "instructions" | "capabilities" | "modelId"
  >,
) {
  return getDb().agentDefinition.create({ data: { ...definition, teamId }, select });
}

/** Deletes the team's definition of `kind`; false when it has none. */
export async function deleteTeamAgentDefinition(teamId: string, kind: string): Promise<boolean> {
  const deleted = await getDb().agentDefinition.deleteMany({ where: { teamId, kind } });
  return deleted.count > 0;
}

/** A team's AgentDefinition rows as agents are built from them, oldest first. */
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

export async function listCustomAgentRows(teamId: string): Promise<CustomAgentRow[]> {
  const { rows } = await query<{ agents: CustomAgentRow[] }>(`SELECT ${customAgentRowsSql("$1")} AS agents`, [teamId]);
  return rows[0]!.agents;
}
