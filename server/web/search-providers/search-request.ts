/**
 * What every web-search provider shares: the result shape, the one error type, and the HTTP call.
 * A provider is an endpoint the operator configured (their SearXNG, or Brave's and Tavily's
 * APIs), not a URL a model chose, so it is called with plain `fetch` rather than through the
 * SSRF guard — a self-hosted SearXNG on the private network is the normal case. The call has a
 * deadline, and its errors say what happened (key refused, rate limited, unavailable) without
 * ever repeating the key or the provider's answer, which could echo it.
 */

export interface SearchHit {
  title: string;
  url: string;
  snippet: string;
}

export interface SearchRequest {
  query: string;
  /** How many results at most (1–20). */
  limit: number;
  signal?: AbortSignal;
  timeoutMs: number;
}

export type SearchProviderName = "searxng" | "brave" | "tavily";

export interface SearchProvider {
  name: SearchProviderName;
  search(request: SearchRequest): Promise<SearchHit[]>;
}

export type WebSearchFailure = "not-configured" | "key-refused" | "rate-limited" | "unavailable" | "bad-response" | "timeout";

export class WebSearchError extends Error {
  constructor(
    readonly reason: WebSearchFailure,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "WebSearchError";
  }
}

export const PROVIDER_LABELS: Record<SearchProviderName, string> = { searxng: "SearXNG", brave: "Brave Search", tavily: "Tavily" };

/** One request to a provider, answered with its parsed JSON; HTTP and network failures become WebSearchErrors. */
export async function providerJson(provider: SearchProviderName, url: URL, init: RequestInit, request: SearchRequest): Promise<unknown> {
  const label = PROVIDER_LABELS[provider];
  const deadline = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal, redirect: "error", headers: { Accept: "application/json", ...init.headers } });
  } catch {
    if (request.signal?.aborted) throw request.signal.reason;
    if (deadline.aborted) throw timeoutError(label, request.timeoutMs);
    throw new WebSearchError("unavailable", `${label} could not be reached`, true);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw statusError(label, response.status, provider);
  }
  try {
    return await response.json();
  } catch {
    if (request.signal?.aborted) throw request.signal.reason;
    if (deadline.aborted) throw timeoutError(label, request.timeoutMs);
    throw new WebSearchError("bad-response", `${label} answered with something that is not JSON`, false);
  }
}

function timeoutError(label: string, timeoutMs: number): WebSearchError {
  return new WebSearchError("timeout", `${label} did not answer within ${timeoutMs / 1000} s`, true);
}

function statusError(label: string, status: number, provider: SearchProviderName): WebSearchError {
  if (status === 401 || (status === 403 && provider !== "searxng")) {
    return new WebSearchError(
      "key-refused",
      `${label} refused the API key (HTTP ${status}); check the key Chorus is configured with`,
      false,
    );
  }
  if (status === 403) {
    return new WebSearchError("key-refused", `${label} refused the request (HTTP 403); its settings must allow the json format`, false);
  }
  if (status === 429 || status === 432) {
    return new WebSearchError("rate-limited", `${label} is rate limiting searches (HTTP ${status}); try again later`, true);
  }
  if (status >= 500) return new WebSearchError("unavailable", `${label} is unavailable (HTTP ${status})`, true);
  return new WebSearchError("bad-response", `${label} did not accept the search (HTTP ${status})`, false);
}

/** A result's text as plain text: providers mark matches with HTML (`<strong>`) and entities. */
export function plainText(value: unknown, max = 500): string {
  if (typeof value !== "string") return "";
  const text = value
    .replace(/<[^>]*>/g, "")
    .replace(/&(amp|lt|gt|quot|#39|#x27|nbsp);/g, (entity) => ENTITIES[entity] ?? entity)
    .replace(/\s+/g, " ")
    .trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#39;": "'",
  "&#x27;": "'",
  "&nbsp;": " ",
};

/** Hits with an http(s) URL and a title, at most `limit`, from a provider's result list (anything else is skipped). */
export function collectHits(items: unknown, limit: number, pick: (item: Record<string, unknown>) => SearchHit): SearchHit[] {
  if (!Array.isArray(items)) return [];
  const hits: SearchHit[] = [];
  for (const item of items) {
    if (hits.length >= limit) break;
    if (item === null || typeof item !== "object") continue;
    const hit = pick(item as Record<string, unknown>);
    if (!/^https?:\/\//i.test(hit.url)) continue;
    hits.push({ ...hit, title: hit.title || hit.url });
  }
  return hits;
}
