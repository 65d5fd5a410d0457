import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local server speaking Anthropic's `GET /v1/models` wire format, as `@anthropic-ai/sdk`'s
 * `models.list()` asks it: the model list for the right key, Anthropic's 401 authentication
 * error (echoing the key, as a careless provider might) for any other. The key is taken from
 * `x-api-key` (what @ai-sdk/anthropic sends) or `Authorization: Bearer` (what @anthropic-ai/sdk 1.x sends).
 */
export const anthropicKeyOf = (headers: IncomingHttpHeaders): string | undefined =>
  (headers["x-api-key"] as string | undefined) ?? headers.authorization?.replace(/^Bearer /, "");

export async function startAnthropicModelsServer(options: { apiKey: string; models?: string[] }) {
  const models = options.models ?? ["claude-test-haiku", "claude-test-sonnet"];
  const requests: Array<{ url: string | undefined; headers: IncomingHttpHeaders }> = [];
  const server: Server = createServer((req, res) => {
    requests.push({ url: req.url, headers: req.headers });
    req.resume();
    req.on("end", () => {
      if (anthropicKeyOf(req.headers) !== options.apiKey) {
        res.writeHead(401, { "content-type": "application/json", "request-id": "req_test" });
        res.end(
          JSON.stringify({
            type: "error",
            error: { type: "authentication_error", message: `invalid x-api-key: ${String(anthropicKeyOf(req.headers))}` },
          }),
        );
        return;
      }
      if (req.method !== "GET" || !req.url?.startsWith("/v1/models")) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ type: "error", error: { type: "not_found_error", message: "Not found" } }));
        return;
      }
      const data = models.map((id) => ({ type: "model", id, display_name: id, created_at: "2026-01-01T00:00:00Z" }));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    /** As Chorus stores it (the AI SDK's form, with /v1). */
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
