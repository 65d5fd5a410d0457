import type { ToolSet } from "ai";
import { isBuiltInToolName, type BuiltInToolName } from "@/server/agents/tools/catalog";
import { toAiTool, type ToolRunOptions } from "@/server/agents/tools/run-tool";
import type { ToolSpec } from "@/server/agents/tools/tool-spec";
import { fetchUrlTool } from "@/server/agents/tools/fetch-url";
import { searchKnowledgeTool } from "@/server/agents/tools/search-knowledge";
import { webSearchTool } from "@/server/agents/tools/web-search";

/**
 * The tools one agent run is given: the built-in tool modules its definition names, less those
 * this instance cannot offer (no search provider configured), each wrapped by the runner with
 * the run's scope, cancellation and observer.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each module has its own input type
const BUILT_IN_TOOL_SPECS: Partial<Record<BuiltInToolName, ToolSpec<any>>> = {
  search_knowledge: searchKnowledgeTool,
  fetch_url: fetchUrlTool,
  web_search: webSearchTool,
};

export function buildTools(names: readonly string[], options: ToolRunOptions): ToolSet {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see BUILT_IN_TOOL_SPECS
  const specs: ToolSpec<any>[] = [];
  for (const name of names) {
    const spec = isBuiltInToolName(name) ? BUILT_IN_TOOL_SPECS[name] : undefined;
    if (spec) specs.push(spec);
  }
  return toolSetOf(specs, options);
}

/** The given tool modules as one run's tool set, less those unavailable here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see BUILT_IN_TOOL_SPECS
export function toolSetOf(specs: readonly ToolSpec<any>[], options: ToolRunOptions): ToolSet {
  const tools: ToolSet = {};
  for (const spec of specs) if (!spec.available || spec.available()) tools[spec.name] = toAiTool(spec, options);
  return tools;
}

/** A built-in tool's input schema, to check a member's edits to a call before it runs; undefined for other tools. */
export function toolInputSchema(name: string) {
  return isBuiltInToolName(name) ? BUILT_IN_TOOL_SPECS[name]?.inputSchema : undefined;
}
