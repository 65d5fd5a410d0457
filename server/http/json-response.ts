import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import nextConfig from "@/next.config";

/**
 * Writes an API answer from node:http: JSON, gzip when the client takes it and the body is worth
 * compressing, `Cache-Control: no-store` (answers are per caller), and the headers next.config
 * gives every path (nosniff, frame and referrer policies), as Next would have added them.
 */
const COMPRESS_FROM_BYTES = 1024;

let configHeaders: Record<string, string> = {};

/** Reads next.config's headers once at start-up: those for every path (`/:path*`) apply to API answers too. */
export async function loadApiHeaders(): Promise<void> {
  const rules = (await nextConfig.headers?.()) ?? [];
  configHeaders = Object.fromEntries(
    rules
      .filter((rule) => rule.source === "/:path*" && !rule.has && !rule.missing)
      .flatMap((rule) => rule.headers.map((header) => [header.key, header.value])),
  );
}

export function commonHeaders(): Record<string, string> {
  return configHeaders;
}

export function sendJson(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const json = Buffer.from(JSON.stringify(body));
  const gzip = json.length >= COMPRESS_FROM_BYTES && acceptsGzip(request.headers["accept-encoding"]);
  const payload = gzip ? gzipSync(json) : json;
  response.writeHead(status, {
    "Cache-Control": "no-store",
    ...configHeaders,
    ...headers,
    Vary: "Accept-Encoding",
    "Content-Type": "application/json",
    ...(gzip ? { "Content-Encoding": "gzip" } : {}),
    "Content-Length": payload.length,
  });
  response.end(request.method === "HEAD" ? undefined : payload);
}

function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  return acceptEncoding.split(",").some((entry) => {
    const [coding, ...parameters] = entry.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "*") return false;
    const quality = parameters.map((parameter) => parameter.trim()).find((parameter) => parameter.startsWith("q="));
    return quality === undefined || Number(quality.slice(2)) > 0;
  });
}
