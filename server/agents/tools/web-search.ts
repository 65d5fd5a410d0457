import { z } from "zod";
import { defineTool } from "@/server/agents/tools/tool-spec";
import { searchWeb, webSearchConfigured, WebSearchError } from "@/server/web/web-search";

/**
 * `web_search`: searches the web through the provider the instance is configured with (SearXNG,
 * Brave Search or Tavily; server/web/web-search.ts). Offered to agents only when one is set up.
 * Each hit is a source; the agent reads a page with fetch_url when a snippet is not enough.
 */

const MAX_RESULTS = 10;

export const webSearchTool = defineTool({
  name: "web_search",
  description:
    "Search the web and get the top results (title, URL, snippet). Use it for recent or public facts the knowledge base lacks; read a promising result with fetch_url.",
  inputSchema: z.object({
    query: z
      .string()
      .trim()
      .min(1, "query must not be empty")
      .max(400, "query must be at most 400 characters")
      .describe("what to search for"),
    limit: z.number().int().min(1).max(MAX_RESULTS).optional().describe(`how many results (1–${MAX_RESULTS}, default 5)`),
  }),
  timeoutMs: 15_000,
  // A search reads only: repeating it after a rate limit or an outage is harmless.
  retries: 2,
  untrustedOutput: true,
  available: webSearchConfigured,
  async run({ query, limit }, call) {
    const hits = await searchWeb(query, { limit: limit ?? 5, signal: call.signal });
    const results = hits.map((hit, index) => ({ ref: index + 1, title: hit.title, url: hit.url, snippet: hit.snippet }));
    return {
      result: results.length > 0 ? { query, results } : { query, results, note: "No results; try other words." },
      excerpt: results.length > 0 ? results.map((result) => `${result.title} — ${result.url}`).join("\n") : "No results",
      sources: hits.map((hit) => ({ title: hit.title, url: hit.url })),
    };
  },
  classifyError(error) {
    if (error instanceof WebSearchError) return { kind: error.retryable ? "retryable" : "failed", message: error.message };
    return { kind: "failed", message: "The web search failed" };
  },
});
