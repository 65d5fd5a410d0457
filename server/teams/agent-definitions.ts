import { deleteTeamAgentDefinition, insertAgentDefinition, listTeamAgentDefinitions } from "@/server/db/queries/agent-definitions";
import { isUniqueViolation } from "@/server/db/unique-violation";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { AGENT_KIND, customAgentDefinitionSchema, listAgents } from "@/server/agents";
import { AppError } from "@/server/errors";
import { parseInput } from "@/server/validation";

/**
 * Team-defined agents: instructions, capabilities and an optional model. The planner can route
 * plan steps to them like to the built-ins; they run through the same agent contract.
 * Reading needs "read"; creating and deleting need "manage" (admins).
 */
export async function listAgentDefinitions(caller: Caller) {
  requirePermission(caller, "read");
  const custom = await listTeamAgentDefinitions(caller.teamId);
  const builtIn = listAgents().map((agent) => ({
    kind: agent.kind,
    name: agent.name,
    description: agent.description,
    capabilities: agent.capabilities,
    builtIn: true,
  }));
  return { agents: [...builtIn, ...custom.map((agent) => ({ ...agent, builtIn: false }))] };
}

export async function createAgentDefinition(caller: Caller, rawInput: unknown) {
  requirePermission(caller, "manage");
  const input = parseInput(customAgentDefinitionSchema, rawInput);
  try {
    return await insertAgentDefinition(caller.teamId, input);
  } catch (error) {
    // The unique (teamId, kind) decides, not a look-up first: two creates at once would both
    // find nothing, and the loser's unique violation would be a 500.
    if (isUniqueViolation(error)) {
      throw new AppError("conflict", `Your team already has an agent "${input.kind}"`, "kind");
    }
    throw error;
  }
}

export async function deleteAgentDefinition(caller: Caller, kind: string) {
  requirePermission(caller, "manage");
  // A kind that is not a slug can't name a team agent (and may hold what Postgres can't compare).
  if (!AGENT_KIND.test(kind)) throw new AppError("not_found", `No team agent "${kind.slice(0, 40)}"`, "kind");
  if (!(await deleteTeamAgentDefinition(caller.teamId, kind))) throw new AppError("not_found", `No team agent "${kind}"`, "kind");
  return { deleted: kind };
}
