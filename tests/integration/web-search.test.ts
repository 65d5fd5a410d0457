import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "@/server/env";
import { searchWeb, webSearchConfigured, webSearchProviderName, WebSearchError } from "@/server/web/web-search";
import { startLocalWebServer, type LocalWebServer } from "../support/local-web-server";

/**
 * Web search through each provider, against a local server speaking that provider's wire format
 * (SearXNG's JSON search, Brave's Web Search API, Tavily's search API): the request Chorus sends,
 * the hits it makes of the answer, and what a refused key, a rate limit, an outage and a hang
 * become — never with the key in the message.
 */

const SETTINGS = [
  "CHORUS_WEB_SEARCH_PROVIDER",
  "SEARXNG_URL",
  "BRAVE_SEARCH_API_KEY",
  "BRAVE_SEARCH_URL",
  "TAVILY_API_KEY",
  "TAVILY_URL",
  "CHORUS_WEB_SEARCH_TIMEOUT_MS",
] as const;
const KEY = "secret-key-0123456789";
let server: LocalWebServer;
let saved: Record<string, string | undefined>;

function configure(settings: Partial<Record<(typeof SETTINGS)[number], string>>) {
  for (const name of SETTINGS) delete process.env[name];
  Object.assign(process.env, settings);
}

async function searchError(promise: Promise<unknown>): Promise<WebSearchError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WebSearchError);
  expect((error as Error).message).not.toContain(KEY);
  return error as WebSearchError;
}

beforeAll(async () => {
  saved = Object.fromEntries(SETTINGS.map((name) => [name, process.env[name]]));
  server = await startLocalWebServer();
});
afterAll(async () => {
  for (const name of SETTINGS) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});
afterEach(() => configure({}));

const json =
  (body: unknown, status = 200) =>
  (_request: unknown, response: import("node:http").ServerResponse) =>
    response.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));

describe("configuration", () => {
  it("is off without a provider, and a search then says so", async () => {
    configure({});
    expect(webSearchConfigured()).toBe(false);
    expect((await searchError(searchWeb("tides"))).reason).toBe("not-configured");
  });

  it("picks the named provider, or the first of Tavily, Brave, SearXNG that is set", () => {
    configure({ TAVILY_API_KEY: KEY, BRAVE_SEARCH_API_KEY: KEY, SEARXNG_URL: server.url });
    expect(webSearchProviderName()).toBe("tavily");
    configure({ BRAVE_SEARCH_API_KEY: KEY, SEARXNG_URL: server.url });
    expect(webSearchProviderName()).toBe("brave");
    configure({ CHORUS_WEB_SEARCH_PROVIDER: "searxng", TAVILY_API_KEY: KEY, SEARXNG_URL: server.url });
    expect(webSearchProviderName()).toBe("searxng");
    expect(() => parseEnv({ CHORUS_WEB_SEARCH_PROVIDER: "brave" })).toThrow(ConfigError);
    expect(() => parseEnv({ CHORUS_WEB_SEARCH_PROVIDER: "brave" })).toThrow(
      /BRAVE_SEARCH_API_KEY: required when CHORUS_WEB_SEARCH_PROVIDER=brave/,
    );
    expect(() => parseEnv({ SEARXNG_URL: "ftp://x" })).toThrow(/SEARXNG_URL/);
  });
});

describe("SearXNG", () => {
  it("sends GET /search?q=…&format=json under the configured URL and keeps http(s) hits up to the limit", async () => {
    configure({ SEARXNG_URL: `${server.url}/searx` });
    server.handle(
      json({
        query: "tide tables",
        number_of_results: 3,
        results: [
          { url: "https://tides.example/one", title: "Tide <b>tables</b>", content: "High &amp; low water", engine: "x" },
          { url: "javascript:alert(1)", title: "Bad", content: "skip me" },
          { url: "https://tides.example/two", title: "", content: "Second" },
          { url: "https://tides.example/three", title: "Third", content: "Third" },
        ],
      }),
    );
    const hits = await searchWeb("tide tables", { limit: 2 });
    expect(hits).toEqual([
      { title: "Tide tables", url: "https://tides.example/one", snippet: "High & low water" },
      { title: "https://tides.example/two", url: "https://tides.example/two", snippet: "Second" },
    ]);
    const sent = new URL(server.requests[0]!.url, server.url);
    expect(server.requests[0]!.method).toBe("GET");
    expect(sent.pathname).toBe("/searx/search");
    expect(Object.fromEntries(sent.searchParams)).toEqual({ q: "tide tables", format: "json" });
  });

  it("explains a 403 (the instance does not allow the json format)", async () => {
    configure({ SEARXNG_URL: server.url });
    server.handle((_request, response) => response.writeHead(403).end("Forbidden"));
    const error = await searchError(searchWeb("x"));
    expect(error).toMatchObject({ reason: "key-refused", retryable: false });
    expect(error.message).toContain("json format");
  });
});

describe("Brave Search", () => {
  it("sends the key in X-Subscription-Token with q and count, and reads web.results", async () => {
    configure({ BRAVE_SEARCH_API_KEY: KEY, BRAVE_SEARCH_URL: `${server.url}/res/v1/web/search` });
    server.handle(
      json({
        type: "search",
        query: { original: "harbour dues" },
        web: {
          type: "search",
          results: [
            {
              title: "Harbour dues 2026",
              url: "https://port.example/dues",
              description: "The <strong>harbour dues</strong> for 2026",
              age: "2 days",
            },
          ],
        },
      }),
    );
    expect(await searchWeb("harbour dues", { limit: 7 })).toEqual([
      { title: "Harbour dues 2026", url: "https://port.example/dues", snippet: "The harbour dues for 2026" },
    ]);
    const request = server.requests[0]!;
    expect(request.headers["x-subscription-token"]).toBe(KEY);
    expect(request.headers.accept).toBe("application/json");
    const sent = new URL(request.url, server.url);
    expect(sent.pathname).toBe("/res/v1/web/search");
    expect(Object.fromEntries(sent.searchParams)).toEqual({ q: "harbour dues", count: "7" });
    server.handle(json({ type: "search", query: { original: "nothing" } }));
    expect(await searchWeb("nothing")).toEqual([]);
  });

  it("turns 401 into 'key refused', 429 into a retryable rate limit and 5xx into a retryable outage, never echoing the key", async () => {
    configure({ BRAVE_SEARCH_API_KEY: KEY, BRAVE_SEARCH_URL: `${server.url}/res/v1/web/search` });
    server.handle((_request, response) =>
      response.writeHead(401, { "Content-Type": "application/json" }).end(`{"error":"bad token ${KEY}"}`),
    );
    expect(await searchError(searchWeb("x"))).toMatchObject({ reason: "key-refused", retryable: false });
    server.handle((_request, response) => response.writeHead(429).end(KEY));
    expect(await searchError(searchWeb("x"))).toMatchObject({ reason: "rate-limited", retryable: true });
    server.handle((_request, response) => response.writeHead(502).end(KEY));
    expect(await searchError(searchWeb("x"))).toMatchObject({ reason: "unavailable", retryable: true });
    server.handle((_request, response) => response.writeHead(200, { "Content-Type": "application/json" }).end("not json"));
    expect(await searchError(searchWeb("x"))).toMatchObject({ reason: "bad-response", retryable: false });
  });
});

describe("Tavily", () => {
  it("POSTs { query, max_results } with a Bearer key and reads results", async () => {
    configure({ TAVILY_API_KEY: KEY, TAVILY_URL: `${server.url}/search` });
    server.handle(
      json({
        query: "estuary",
        answer: null,
        images: [],
        results: [{ title: "Estuary guide", url: "https://estuary.example/", content: "Where the river meets the sea.", score: 0.91 }],
        response_time: 1.2,
      }),
    );
    expect(await searchWeb("estuary", { limit: 3 })).toEqual([
      { title: "Estuary guide", url: "https://estuary.example/", snippet: "Where the river meets the sea." },
    ]);
    const request = server.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/search");
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(JSON.parse(request.body)).toMatchObject({ query: "estuary", max_results: 3 });
  });

  it("handles 401 and 429 the same way, and gives up at the deadline", async () => {
    configure({ TAVILY_API_KEY: KEY, TAVILY_URL: `${server.url}/search`, CHORUS_WEB_SEARCH_TIMEOUT_MS: "500" });
    server.handle((_request, response) => response.writeHead(401).end(`{"detail":{"error":"Unauthorized: ${KEY}"}}`));
    const refused = await searchError(searchWeb("x"));
    expect(refused).toMatchObject({ reason: "key-refused", retryable: false });
    expect(refused.message).toBe("Tavily refused the API key (HTTP 401); check the key Chorus is configured with");
    server.handle((_request, response) => response.writeHead(429).end());
    expect(await searchError(searchWeb("x"))).toMatchObject({ reason: "rate-limited", retryable: true });
    server.handle(() => undefined);
    expect(await searchError(searchWeb("x"))).toMatchObject({ reason: "timeout", retryable: true });
  });
});
