import type { IncomingMessage, ServerResponse } from "node:http";
import { nodeHTTPRequestHandler } from "@trpc/server/adapters/node-http";
import { TRPC_MAX_BATCH_SIZE } from "./batch-limit";
import { appRouter } from "./root";
import { createTRPCContext } from "./trpc";
import { AppError } from "@/server/errors";
import { commonHeaders } from "@/server/http/json-response";
import { toFetchHeaders } from "@/server/http/node-headers";
import { MAX_BODY_BYTES } from "@/server/http/request-body";
import { refuseRequest } from "@/server/http/rest-router";
import { assertSameOriginMutation } from "@/server/http/same-origin";

/**
 * `/api/trpc/*`, answered from node:http with tRPC's own Node adapter: it streams the body and
 * refuses it with a 413 at the same cap as REST, and a batch may hold at most
 * TRPC_MAX_BATCH_SIZE calls (one POST created 200 tasks before). A browser's write with the
 * session cookie must be JSON from Chorus's own origin, as on REST; API-key callers are not
 * checked.
 */
const ALLOW = "GET, POST, HEAD, OPTIONS";

export async function serveTrpc(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  const method = request.method ?? "GET";
  if (method === "OPTIONS") {
    response.writeHead(204, { ...commonHeaders(), Allow: ALLOW }).end();
    return;
  }
  if (!ALLOW.split(", ").includes(method)) {
    refuseRequest(
      request,
      response,
      new AppError("method_not_allowed", `${method} is not supported here; use GET or POST`, "method", { Allow: ALLOW }),
    );
    return;
  }
  // Only a request that carries cookies has an ambient credential to forge with.
  if (!request.headers.authorization && request.headers.cookie) {
    try {
      assertSameOriginMutation(method, request.headers);
    } catch (error) {
      refuseRequest(request, response, error as AppError);
      return;
    }
  }
  for (const [name, value] of Object.entries(commonHeaders())) response.setHeader(name, value);
  response.setHeader("Cache-Control", "no-store");
  await nodeHTTPRequestHandler({
    req: request,
    res: response,
    path: url.pathname.slice("/api/trpc/".length),
    router: appRouter,
    maxBodySize: MAX_BODY_BYTES,
    maxBatchSize: TRPC_MAX_BATCH_SIZE,
    createContext: () => createTRPCContext({ headers: toFetchHeaders(request) }),
    // A 429's Retry-After and RateLimit-* headers, as REST sends them.
    responseMeta: ({ errors }) => {
      const limited = errors.map((error) => error.cause).find((cause) => cause instanceof AppError && cause.headers);
      return limited instanceof AppError && limited.headers ? { headers: new Headers(limited.headers) } : {};
    },
  });
}
