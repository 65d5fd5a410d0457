import type { ToolSetting } from "./mcp-server-schemas";

/**
 * Whether a call of an MCP tool waits for a member's approval: the admin's override when there
 * is one, else what the tool declares — destructive (`destructiveHint: true`) and not read-only.
 * Annotations are the server's own claims; an admin who does not trust them flags the tool.
 */
export function toolNeedsApproval(
  annotations: { readOnlyHint?: boolean; destructiveHint?: boolean } | undefined,
  setting: ToolSetting | undefined,
): boolean {
  if (typeof setting?.requiresApproval === "boolean") return setting.requiresApproval;
  return annotations?.destructiveHint === true && annotations.readOnlyHint !== true;
}
