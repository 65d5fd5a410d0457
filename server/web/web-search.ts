import { getEnv, type Env } from "@/server/env";
import { braveProvider } from "./search-providers/brave";
import { searxngProvider } from "./search-providers/searxng";
import { tavilyProvider } from "./search-providers/tavily";
import { WebSearchError, type SearchHit, type SearchProvider, type SearchProviderName } from "./search-providers/search-request";

export { WebSearchError, type SearchHit, type SearchProviderName, type WebSearchFailure } from "./search-providers/search-request";

/**
 * Web search for the web_search tool, through the provider the operator configured:
 * `CHORUS_WEB_SEARCH_PROVIDER` names it, or the first of `TAVILY_API_KEY`, `BRAVE_SEARCH_API_KEY`
 * and `SEARXNG_URL` that is set picks it. Without any, `webSearchConfigured()` is false and the
 * tool should not be offered to agents.
 */

export const DEFAULT_SEARCH_LIMIT = 5;
export const MAX_SEARCH_LIMIT = 20;
export const MAX_QUERY_LENGTH = 400;

/** The configured provider, or undefined when there is none. */
export function searchProviderFor(env: Env = getEnv()): SearchProvider | undefined {
  const name: SearchProviderName | undefined =
    env.CHORUS_WEB_SEARCH_PROVIDER ??
    (env.TAVILY_API_KEY ? "tavily" : env.BRAVE_SEARCH_API_KEY ? "brave" : env.SEARXNG_URL ? "searxng" : undefined);
  if (name === "tavily" && env.TAVILY_API_KEY) return tavilyProvider(env.TAVILY_API_KEY, env.TAVILY_URL);
  if (name === "brave" && env.BRAVE_SEARCH_API_KEY) return braveProvider(env.BRAVE_SEARCH_API_KEY, env.BRAVE_SEARCH_URL);
  if (name === "searxng" && env.SEARXNG_URL) return searxngProvider(env.SEARXNG_URL);
  return undefined;
}

/** Whether a search provider is configured (so the web_search tool can work). */
export function webSearchConfigured(): boolean {
  return searchProviderFor() !== undefined;
}

/** The configured provider's name, for settings pages and logs; undefined when none is. */
export function webSearchProviderName(): SearchProviderName | undefined {
  return searchProviderFor()?.name;
}

/**
 * Searches the web: at most `limit` hits (default 5, at most 20), each with a title, an http(s)
 * URL and a plain-text snippet. Rejects with WebSearchError (`retryable` for rate limits, timeouts
 * and outages) — or the signal's reason when the caller aborts.
 */
export async function searchWeb(
  query: string,
  options: { signal?: AbortSignal; limit?: number; timeoutMs?: number } = {},
): Promise<SearchHit[]> {
  const provider = searchProviderFor();
  if (!provider) throw new WebSearchError("not-configured", "Web search is not configured on this Chorus server", false);
  const text = query.trim().slice(0, MAX_QUERY_LENGTH);
  if (!text) return [];
  const limit = Math.max(1, Math.min(MAX_SEARCH_LIMIT, Math.floor(options.limit ?? DEFAULT_SEARCH_LIMIT)));
  return provider.search({
    query: text,
    limit,
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? getEnv().CHORUS_WEB_SEARCH_TIMEOUT_MS,
  });
}
