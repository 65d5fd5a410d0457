import { getDb, query } from "@/server/db/client";
import { newRowId } from "@/server/db/row-id";

/**
 * Team-defined agents, `AgentDefinition` rows, unique per (team, kind), and their immutable
 * versions (`AgentDefinitionVersion`): every create and every edit writes a version, and the
 * definition row holds a copy of its current one (so the planner's per-task read stays one
 * table) plus a pointer to it. Every query takes the team and filters by it. Management goes
 * through Prisma; the rows agent steps and the planner read on every task are plain SQL
 * (customAgentRowsSql, findAgentVersionRow).
 */

/** The fields one version holds; an edit that changes none of them writes no version. */
export interface AgentVersionFields {
  name: string;
  description: string;
  instructions: string;
  capabilities: string[];
  modelId: string | null;
  tools: string[];
  outputFormat: string;
}

/** What the dashboard and API show of a definition. */
const select = {
  id: true,
  kind: true,
  name: true,
  description: true,
  instructions: true,
  capabilities: true,
  modelId: true,
  tools: true,
  outputFormat: true,
  version: true,
  createdAt: true,
  updatedAt: true,
};

const versionSelect = {
  id: true,
  kind: true,
  version: true,
  name: true,
  description: true,
  instructions: true,
  capabilities: true,
  modelId: true,
  tools: true,
  outputFormat: true,
  createdAt: true,
  createdBy: { select: { id: true, name: true, email: true } },
};

/** The team's definitions, oldest first. */
export async function listTeamAgentDefinitions(teamId: string) {
  return getDb().agentDefinition.findMany({ where: { teamId }, select, orderBy: { createdAt: "asc" } });
}

/** The team's definition of `kind` with who wrote its current version and when; null when it has none. */
export async function findTeamAgentDefinition(teamId: string, kind: string) {
  return getDb().agentDefinition.findUnique({
    where: { teamId_kind: { teamId, kind } },
    select: { ...select, currentVersion: { select: { id: true, createdAt: true, createdBy: versionSelect.createdBy } } },
  });
}

/**
 * Stores a definition and its version 1 in one transaction; a kind the team already has fails
 * with a unique violation (isUniqueViolation). The version goes first: the definition points at it.
 */
export async function insertAgentDefinition(teamId: string, definition: AgentVersionFields & { kind: string }, createdById: string | null) {
  const agentId = newRowId();
  const versionId = newRowId();
  const [, created] = await getDb().$transaction([
    getDb().agentDefinitionVersion.create({ data: { ...definition, id: versionId, teamId, agentId, version: 1, createdById } }),
    getDb().agentDefinition.create({ data: { ...definition, id: agentId, teamId, version: 1, currentVersionId: versionId }, select }),
  ]);
  return created;
}

/**
 * Replaces the fields of the team's definition of `kind` by writing its next version — unless
 * they equal the current ones, when nothing is written (`changed: false`). The definition row is
 * locked first, so two edits at once get consecutive versions. Undefined when the team has no
 * such agent.
 */
export async function insertNextAgentVersion(teamId: string, kind: string, fields: AgentVersionFields, createdById: string | null) {
  return getDb().$transaction(async (tx) => {
    const locked = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM "AgentDefinition" WHERE "teamId" = ${teamId} AND kind = ${kind} FOR UPDATE`;
    if (locked.length === 0) return undefined;
    const current = await tx.agentDefinition.findUniqueOrThrow({ where: { id: locked[0]!.id }, select });
    if (sameVersionFields(current, fields)) return { definition: current, changed: false };
    const versionId = newRowId();
    const version = current.version + 1;
    await tx.agentDefinitionVersion.create({ data: { ...fields, id: versionId, teamId, agentId: current.id, kind, version, createdById } });
    const definition = await tx.agentDefinition.update({
      where: { id: current.id },
      data: { ...fields, version, currentVersionId: versionId },
      select,
    });
    return { definition, changed: true };
  });
}

function sameVersionFields(current: AgentVersionFields, next: AgentVersionFields): boolean {
  const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item, index) => item === b[index]);
  return (
    current.name === next.name &&
    current.description === next.description &&
    current.instructions === next.instructions &&
    sameList(current.capabilities, next.capabilities) &&
    (current.modelId ?? null) === (next.modelId ?? null) &&
    sameList(current.tools, next.tools) &&
    current.outputFormat === next.outputFormat
  );
}

/** The versions of the team's current agent `kind`, newest first; undefined when it has no such agent. */
export async function listTeamAgentVersions(teamId: string, kind: string) {
  const definition = await getDb().agentDefinition.findUnique({ where: { teamId_kind: { teamId, kind } }, select: { id: true } });
  if (!definition) return undefined;
  return getDb().agentDefinitionVersion.findMany({
    where: { teamId, agentId: definition.id },
    select: versionSelect,
    orderBy: { version: "desc" },
  });
}

/** Deletes the team's definition of `kind`; false when it has none. Its versions stay for the executions that ran them. */
export async function deleteTeamAgentDefinition(teamId: string, kind: string): Promise<boolean> {
  const deleted = await getDb().agentDefinition.deleteMany({ where: { teamId, kind } });
  return deleted.count > 0;
}

/** A team agent as agents are built from it: its current version (or a recorded one), with that version's id and number. */
export interface CustomAgentRow extends AgentVersionFields {
  kind: string;
  version: number;
  versionId: string | null;
}

/** One agent row (definition `d` or version `v`) as the JSON object CustomAgentRow reads. */
const agentRowJson = (alias: string, versionIdSql: string) => `json_build_object(
    'kind', ${alias}.kind, 'name', ${alias}.name, 'description', ${alias}.description, 'instructions', ${alias}.instructions,
    'capabilities', COALESCE(${alias}.capabilities, '{}'), 'modelId', ${alias}."modelId", 'tools', COALESCE(${alias}.tools, '{}'),
    'outputFormat', ${alias}."outputFormat", 'version', ${alias}.version, 'versionId', ${versionIdSql})`;

/**
 * The columns of a team's definitions as one JSON array, for statements that read them along
 * with other rows (`teamIdSql` is the SQL expression of the team's id).
 */
export const customAgentRowsSql = (
  teamIdSql: string,
) => `(SELECT COALESCE(json_agg(${agentRowJson("d", 'd."currentVersionId"')} ORDER BY d."createdAt"), '[]'::json)
  FROM "AgentDefinition" d WHERE d."teamId" = ${teamIdSql})`;

/**
 * As customAgentRowsSql, but a kind pinned in `pinsSql` (a JSON object `{ "<kind>": <version> }`,
 * or NULL) is that version of the team's agent instead of its current one: a task run under an
 * experiment's configuration plans with, and records, the versions it pins. A pin naming no
 * version of the agent leaves it at its current one (createTask refuses such pins).
 */
export const pinnedCustomAgentRowsSql = (teamIdSql: string, pinsSql: string) => `(SELECT COALESCE(json_agg(
    CASE WHEN v.id IS NULL THEN ${agentRowJson("d", 'd."currentVersionId"')} ELSE ${agentRowJson("v", "v.id")} END
    ORDER BY d."createdAt"), '[]'::json)
  FROM "AgentDefinition" d
  LEFT JOIN "AgentDefinitionVersion" v ON v."agentId" = d.id AND v."teamId" = d."teamId" AND v.version = (${pinsSql} ->> d.kind)::int
  WHERE d."teamId" = ${teamIdSql})`;

/** The version number of each of the team's current agents, by kind: what a pinned version is checked against. */
export async function listTeamAgentVersionNumbers(teamId: string): Promise<Map<string, number[]>> {
  const { rows } = await query<{ kind: string; versions: number[] }>(
    `SELECT d.kind, array_agg(v.version ORDER BY v.version) AS versions
     FROM "AgentDefinition" d JOIN "AgentDefinitionVersion" v ON v."agentId" = d.id AND v."teamId" = d."teamId"
     WHERE d."teamId" = $1 GROUP BY d.kind`,
    [teamId],
  );
  return new Map(rows.map((row) => [row.kind, row.versions]));
}

export async function listCustomAgentRows(teamId: string): Promise<CustomAgentRow[]> {
  const { rows } = await query<{ agents: CustomAgentRow[] }>(`SELECT ${customAgentRowsSql("$1")} AS agents`, [teamId]);
  return rows[0]!.agents;
}

/** One recorded version of a team agent, as agents are built from it; undefined when the team has no such version. */
export async function findAgentVersionRow(teamId: string, versionId: string): Promise<CustomAgentRow | undefined> {
  const { rows } = await query<CustomAgentRow>(
    `SELECT kind, name, description, instructions, COALESCE(capabilities, '{}') AS capabilities, "modelId",
       COALESCE(tools, '{}') AS tools, "outputFormat", version, id AS "versionId"
     FROM "AgentDefinitionVersion" WHERE id = $1 AND "teamId" = $2`,
    [versionId, teamId],
  );
  return rows[0];
}
