import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import nextConfig from "@/next.config";
import { authenticateApiKey, bearerToken } from "@/server/auth/api-keys";
import { getTask } from "@/server/tasks/tasks";
import { errorStatusAndBody } from "./error-status";

/**
 * `GET /api/v1/tasks/{id}` for API-key callers, answered straight from node:http by the
 * custom server instead of through Next.js. It is the request clients poll; Next's request
 * handling costs ≈ 4× the rest of it (measured: ≈ 1.8 ms vs ≈ 0.4 ms of server CPU per poll).
 *
 * It answers exactly what the Next route (app/api/v1/tasks/[id]/route.ts) answers — same
 * authentication, permission check, body, status codes and headers (next.config's headers,
 * Next's Vary, gzip when asked) — and leaves everything else to Next by returning false:
 * sessions (cookies need Next's auth), other methods and paths, a trailing slash (Next
 * redirects it), encodings other than gzip or identity, malformed escapes.
 *
 * Wire it first in the server's request listener: `if (serveTaskReadDirectly(req, res)) return;`
 */
const TASK_PATH = /^\/api\/v1\/tasks\/([^/?#]+)(?:\?[^#]*)?$/;
const VARY = "rsc, next-router-state-tree, next-router-prefetch, next-router-segment-prefetch, Accept-Encoding";

export function serveTaskReadDirectly(request: IncomingMessage, response: ServerResponse): boolean {
  if (request.method !== "GET" || !request.url) return false;
  const match = TASK_PATH.exec(request.url);
  const authorization = request.headers.authorization;
  if (!match || !authorization) return false;
  const key = bearerToken(authorization);
  const encoding = responseEncoding(request.headers["accept-encoding"]);
  const id = decodedSegment(match[1]!);
  if (!key || !encoding || id === undefined || !configHeaders) return false;
  void answer(response, key, id, encoding, configHeaders);
  return true;
}

async function answer(response: ServerResponse, key: string, id: string, encoding: "gzip" | "identity", headers: Record<string, string>) {
  let status = 200;
  let body: unknown;
  try {
    body = await getTask(await authenticateApiKey(key), id);
  } catch (error) {
    ({ status, body } = errorStatusAndBody(error));
  }
  const json = Buffer.from(JSON.stringify(body));
  const payload = encoding === "gzip" ? gzipSync(json) : json;
  response.writeHead(status, {
    ...headers,
    Vary: VARY,
    "content-type": "application/json",
    ...(encoding === "gzip" ? { "Content-Encoding": "gzip" } : {}),
    "Content-Length": payload.length,
  });
  response.end(payload);
}

/** gzip or identity, as Next's compression would choose; undefined (let Next answer) for anything subtler. */
function responseEncoding(acceptEncoding: string | undefined): "gzip" | "identity" | undefined {
  if (!acceptEncoding?.trim()) return "identity";
  if (acceptEncoding.includes(";")) return undefined;
  const accepted = acceptEncoding.split(",").map((token) => token.trim().toLowerCase());
  return accepted.includes("gzip") ? "gzip" : undefined;
}

function decodedSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** next.config's headers for every path, read once: the direct answer carries the same ones. */
let configHeaders: Record<string, string> | undefined;
const configHeadersLoaded = loadConfigHeaders().then((headers) => {
  configHeaders = headers;
});

/** Undefined when next.config has header rules for some paths only: then Next answers everything. */
export async function loadConfigHeaders(): Promise<Record<string, string> | undefined> {
  const rules = (await nextConfig.headers?.()) ?? [];
  if (!rules.every((rule) => rule.source === "/:path*" && !rule.has && !rule.missing)) return undefined;
  return Object.fromEntries(rules.flatMap((rule) => rule.headers.map((header) => [header.key, header.value])));
}

/** Resolves once the headers are read: true when the direct route will answer, false when it leaves all to Next. */
export async function directRoutesReady(): Promise<boolean> {
  await configHeadersLoaded;
  return configHeaders !== undefined;
}
