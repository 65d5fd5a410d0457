import { collectHits, plainText, providerJson, WebSearchError, type SearchProvider } from "./search-request";

export const TAVILY_SEARCH_URL = "https://api.tavily.com/search";

/**
 * Tavily's search API: `POST https://api.tavily.com/search` with `Authorization: Bearer <key>` and
 * a JSON body `{ query, max_results }` (at most 20), answered with `{ results: [{ title, url,
 * content, score }] }`.
 */
export function tavilyProvider(apiKey: string, endpoint = TAVILY_SEARCH_URL): SearchProvider {
  return {
    name: "tavily",
    async search(request) {
      const answer = await providerJson(
        "tavily",
        new URL(endpoint),
        {
          method: "POST",
          headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
          body: JSON.stringify({ query: request.query, max_results: Math.min(20, request.limit), search_depth: "basic" }),
        },
        request,
      );
      if (!answer || typeof answer !== "object" || !Array.isArray((answer as { results?: unknown }).results)) {
        throw new WebSearchError("bad-response", "Tavily answered without a results list", false);
      }
      return collectHits((answer as { results: unknown }).results, request.limit, (item) => ({
        title: plainText(item.title, 300),
        url: String(item.url ?? ""),
        snippet: plainText(item.content),
      }));
    },
  };
}
