import { recordAudit } from "@/server/audit/record-audit";
import {
  deleteTeamAgentDefinition,
  findTeamAgentDefinition,
  insertAgentDefinition,
  insertNextAgentVersion,
  listTeamAgentDefinitions,
  listTeamAgentVersions,
  type AgentVersionFields,
} from "@/server/db/queries/agent-definitions";
import { isUniqueViolation } from "@/server/db/unique-violation";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { AGENT_KIND, agentDefinitionFieldsSchema, customAgentDefinitionSchema, listAgents, OUTPUT_FORMAT_PRESETS } from "@/server/agents";
import { BUILT_IN_TOOLS } from "@/server/agents/tools/catalog";
import { AppError } from "@/server/errors";
import { parseInput } from "@/server/validation";

/**
 * Team-defined agents: instructions, capabilities, model, tools and output format. The planner
 * can route plan steps to them like to the built-ins; they run through the same agent contract.
 * Every create and edit writes an immutable version (running tasks keep the one they started
 * with). Reading needs "read"; creating, editing and deleting need "manage" (admins).
 */
export async function listAgentDefinitions(caller: Caller) {
  requirePermission(caller, "read");
  const custom = await listTeamAgentDefinitions(caller.teamId);
  return { agents: [...listBuiltInAgents(), ...custom.map((agent) => ({ ...agent, builtIn: false }))] };
}

function listBuiltInAgents() {
  return listAgents().map((agent) => ({
    kind: agent.kind,
    name: agent.name,
    description: agent.description,
    capabilities: agent.capabilities,
    builtIn: true,
  }));
}

const noTeamAgent = (kind: string) => new AppError("not_found", `No team agent "${kind.slice(0, 40)}"`, "kind");

/** A kind that is not a slug can't name a team agent (and may hold what Postgres can't compare). */
function teamAgentKind(kind: unknown): string {
  if (typeof kind !== "string" || !AGENT_KIND.test(kind)) throw noTeamAgent(typeof kind === "string" ? kind : "");
  return kind;
}

/** One agent: a built-in (no versions), or the team's with its current version and who wrote it. */
export async function getAgentDefinition(caller: Caller, kind: unknown) {
  requirePermission(caller, "read");
  const builtIn = listBuiltInAgents().find((agent) => agent.kind === kind);
  if (builtIn) return { agent: builtIn };
  const slug = teamAgentKind(kind);
  const found = await findTeamAgentDefinition(caller.teamId, slug);
  if (!found) throw noTeamAgent(slug);
  const { currentVersion, ...definition } = found;
  return {
    agent: {
      ...definition,
      builtIn: false,
      versionCreatedAt: currentVersion?.createdAt ?? definition.updatedAt,
      versionCreatedBy: currentVersion?.createdBy ?? null,
    },
  };
}

/** The versions of a team agent, newest first. Built-ins have none. */
export async function listAgentVersions(caller: Caller, kind: unknown) {
  requirePermission(caller, "read");
  if (listBuiltInAgents().some((agent) => agent.kind === kind)) return { versions: [] };
  const slug = teamAgentKind(kind);
  const versions = await listTeamAgentVersions(caller.teamId, slug);
  if (!versions) throw noTeamAgent(slug);
  return { versions };
}

/** What a version stores of validated input: no model is null, tools in one order so equal sets compare equal. */
function versionFields(input: ReturnType<typeof agentDefinitionFieldsSchema.parse>): AgentVersionFields {
  return {
    name: input.name,
    description: input.description,
    instructions: input.instructions,
    capabilities: input.capabilities,
    modelId: input.modelId ?? null,
    tools: [...input.tools].sort(),
    outputFormat: input.outputFormat,
  };
}

export async function createAgentDefinition(caller: Caller, rawInput: unknown) {
  requirePermission(caller, "manage");
  const input = parseInput(customAgentDefinitionSchema, rawInput);
  try {
    const created = await insertAgentDefinition(caller.teamId, { kind: input.kind, ...versionFields(input) }, caller.userId ?? null);
    await recordAudit(caller, { action: "agent.created", target: { type: "agent", id: input.kind }, details: { name: input.name } });
    return created;
  } catch (error) {
    // The unique (teamId, kind) decides, not a look-up first: two creates at once would both
    // find nothing, and the loser's unique violation would be a 500.
    if (isUniqueViolation(error)) {
      throw new AppError("conflict", `Your team already has an agent "${input.kind}"`, "kind");
    }
    throw error;
  }
}

/**
 * Replaces a team agent's fields (all of them: what is left out takes its default) by writing a
 * new version; an edit that changes nothing writes none and answers `changed: false`.
 */
export async function updateAgentDefinition(caller: Caller, kind: unknown, rawInput: unknown) {
  requirePermission(caller, "manage");
  const slug = teamAgentKind(kind);
  const input = parseInput(agentDefinitionFieldsSchema, rawInput);
  const updated = await insertNextAgentVersion(caller.teamId, slug, versionFields(input), caller.userId ?? null);
  if (!updated) throw noTeamAgent(slug);
  if (updated.changed)
    await recordAudit(caller, {
      action: "agent.updated",
      target: { type: "agent", id: slug },
      details: { name: input.name, version: updated.definition.version },
    });
  return { ...updated.definition, changed: updated.changed };
}

export async function deleteAgentDefinition(caller: Caller, kind: string) {
  requirePermission(caller, "manage");
  const slug = teamAgentKind(kind);
  if (!(await deleteTeamAgentDefinition(caller.teamId, slug))) throw noTeamAgent(slug);
  await recordAudit(caller, { action: "agent.deleted", target: { type: "agent", id: slug } });
  return { deleted: slug };
}

/** A tool an agent can be given, as the editor offers it. */
export interface AgentToolChoice {
  name: string;
  label: string;
  description: string;
}

/** What the agent editor offers: the built-in tools with their labels, and the output-format presets. */
export function agentFieldChoices(): { tools: AgentToolChoice[]; outputFormats: string[] } {
  return {
    tools: Object.entries(BUILT_IN_TOOLS).map(([name, tool]) => ({ name, label: tool.label, description: tool.description })),
    outputFormats: Object.keys(OUTPUT_FORMAT_PRESETS),
  };
}
