/**
 * The built-in tools an agent can be given, by the name the model sees. Agent definitions (the
 * built-ins and a team's own) list tools by these names; each name has one module in this folder
 * that builds the AI SDK tool for one run. MCP tools are named `mcp.<server>.<tool>` and come from
 * the team's registered servers, not from this list.
 */
export const BUILT_IN_TOOLS = {
  search_knowledge: {
    label: "Search the knowledge base",
    description: "Full-text search over the documents your team uploaded; returns ranked passages.",
  },
  fetch_url: {
    label: "Fetch a web page",
    description: "Reads a public http(s) page as text. Private and internal addresses are refused.",
  },
  web_search: {
    label: "Search the web",
    description: "Searches the web through the configured provider (SearXNG, Brave or Tavily).",
  },
} as const;

export type BuiltInToolName = keyof typeof BUILT_IN_TOOLS;

export const BUILT_IN_TOOL_NAMES = Object.keys(BUILT_IN_TOOLS) as BuiltInToolName[];

export function isBuiltInToolName(name: string): name is BuiltInToolName {
  return Object.hasOwn(BUILT_IN_TOOLS, name);
}
