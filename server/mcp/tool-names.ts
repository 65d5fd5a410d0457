import { createHash } from "node:crypto";

/**
 * The names agents' models see for MCP tools. Providers accept only `^[a-zA-Z0-9_-]{1,64}$`, and
 * one agent may hold tools of several servers with the same tool names, so a name is
 * `mcp_<server>_<tool>` with other characters replaced; one that would be too long, or that
 * clashes after replacing, ends in a hash of the original pair instead, so it stays unique.
 */
const NOT_MODEL_SAFE = /[^a-zA-Z0-9_-]/g;

export function modelSafeToolName(serverName: string, toolName: string, taken: Set<string>): string {
  const base = `mcp_${serverName.replace(NOT_MODEL_SAFE, "_")}_${toolName.replace(NOT_MODEL_SAFE, "_")}`;
  let name = base;
  if (name.length > 64 || taken.has(name)) {
    const hash = createHash("sha256").update(`${serverName}\u0000${toolName}`).digest("hex").slice(0, 8);
    name = `${base.slice(0, 55)}_${hash}`;
  }
  taken.add(name);
  return name;
}
