import { z } from "zod";
import { recordAudit } from "@/server/audit/record-audit";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { BUILT_IN_TOOL_NAMES, BUILT_IN_TOOLS, isBuiltInToolName } from "@/server/agents";
import { findTeamToolsNeedingApproval, updateTeamToolsNeedingApproval } from "@/server/db/queries/teams";
import { parseInput } from "@/server/validation";

/**
 * Which of the built-in tools wait for a member's approval before every call, per team. Admins
 * choose ("manage"); anyone in the team may see the choice ("read"). MCP tools carry their own
 * approval setting on their server (a destructive tool always waits).
 */

export const toolApprovalSettingsInput = z.object({
  tools: z
    .array(z.string().refine(isBuiltInToolName, { error: `must be one of ${BUILT_IN_TOOL_NAMES.join(", ")}` }), {
      error: "tools must be a list of tool names",
    })
    .max(BUILT_IN_TOOL_NAMES.length),
});

/** What the settings answer with (and the OpenAPI document publishes). */
export const toolApprovalSettingsView = z
  .object({
    tools: z.array(z.string()).meta({ description: "The built-in tools that wait for a member's approval" }),
    available: z.array(z.object({ name: z.string(), label: z.string(), description: z.string() })),
  })
  .meta({ id: "ToolApprovalSettings" });

export async function readToolApprovalSettings(caller: Caller) {
  requirePermission(caller, "read");
  return present(await findTeamToolsNeedingApproval(caller.teamId));
}

export async function updateToolApprovalSettings(caller: Caller, rawInput: unknown) {
  requirePermission(caller, "manage");
  const input = parseInput(toolApprovalSettingsInput, rawInput);
  const tools = await updateTeamToolsNeedingApproval(caller.teamId, [...new Set(input.tools)]);
  await recordAudit(caller, { action: "settings.tool_approvals_updated", target: { type: "team", id: caller.teamId }, details: { tools } });
  return present(tools);
}

function present(tools: readonly string[]): z.output<typeof toolApprovalSettingsView> {
  return {
    tools: tools.filter(isBuiltInToolName),
    available: BUILT_IN_TOOL_NAMES.map((name) => ({
      name,
      label: BUILT_IN_TOOLS[name].label,
      description: BUILT_IN_TOOLS[name].description,
    })),
  };
}
