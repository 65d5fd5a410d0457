import { collectHits, plainText, providerJson, WebSearchError, type SearchProvider } from "./search-request";

/**
 * A self-hosted SearXNG (https://docs.searxng.org): `GET <SEARXNG_URL>/search?q=…&format=json`,
 * answered with `{ results: [{ url, title, content }] }`. The instance must list `json` under
 * `search.formats` in its settings.yml (it answers 403 otherwise). It returns a page of results
 * whatever the limit; the extra are dropped here.
 */
export function searxngProvider(baseUrl: string): SearchProvider {
  return {
    name: "searxng",
    async search(request) {
      const url = new URL("search", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
      url.searchParams.set("q", request.query);
      url.searchParams.set("format", "json");
      const answer = await providerJson("searxng", url, { method: "GET" }, request);
      if (!answer || typeof answer !== "object" || !Array.isArray((answer as { results?: unknown }).results)) {
        throw new WebSearchError("bad-response", "SearXNG answered without a results list", false);
      }
      return collectHits((answer as { results: unknown }).results, request.limit, (item) => ({
        title: plainText(item.title, 300),
        url: String(item.url ?? ""),
        snippet: plainText(item.content),
      }));
    },
  };
}
