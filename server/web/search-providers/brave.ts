import { collectHits, plainText, providerJson, WebSearchError, type SearchProvider } from "./search-request";

export const BRAVE_SEARCH_URL = "https://api.search.brave.com/res/v1/web/search";

/**
 * Brave Search's Web Search API: `GET https://api.search.brave.com/res/v1/web/search?q=…&count=…`
 * with the key in `X-Subscription-Token`, answered with `{ web: { results: [{ title, url,
 * description }] } }` (descriptions mark matches with `<strong>`). `count` is at most 20. A
 * response with no `web` section (nothing found) is an empty list.
 */
export function braveProvider(apiKey: string, endpoint = BRAVE_SEARCH_URL): SearchProvider {
  return {
    name: "brave",
    async search(request) {
      const url = new URL(endpoint);
      url.searchParams.set("q", request.query);
      url.searchParams.set("count", String(Math.min(20, request.limit)));
      const answer = await providerJson("brave", url, { method: "GET", headers: { "X-Subscription-Token": apiKey } }, request);
      if (!answer || typeof answer !== "object") throw new WebSearchError("bad-response", "Brave Search answered without results", false);
      const web = (answer as { web?: { results?: unknown } }).web;
      return collectHits(web?.results ?? [], request.limit, (item) => ({
        title: plainText(item.title, 300),
        url: String(item.url ?? ""),
        snippet: plainText(item.description),
      }));
    },
  };
}
