import { AsyncResource } from "node:async_hooks";
import type { IncomingMessage, ServerResponse } from "node:http";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { requestCaller } from "@/server/auth/session-caller";
import { AppError } from "@/server/errors";
import { logger } from "@/server/observability/logger";
import { countHttpRequest, countOpenStream } from "@/server/observability/metrics";
import { nameRequestRoute } from "@/server/observability/tracing";
import { enforceRateLimit, rateLimitIdentityOf } from "@/server/rate-limit";
import { errorStatusAndBody } from "./error-status";
import { commonHeaders, sendJson } from "./json-response";
import { readBody, readJsonBody } from "./request-body";
import { restRoutes, type RestRoute, type RouteResult } from "./rest-routes";
import { toFetchHeaders } from "./node-headers";
import { readUploadBody } from "./upload-body";
import { assertSameOriginMutation } from "./same-origin";

/**
 * Answers every REST request (`/api/v1/…`, a task's event stream, health) straight from node:http,
 * the same way for each route in rest-routes.ts: find the route (a JSON 404 naming the path, a
 * JSON 405 with `Allow`), authenticate (API key or session cookie), check the role's permission,
 * refuse a cross-site browser write, count the request against its rate-limit tier (a 429 with
 * Retry-After and RateLimit-* headers, and nothing done), then — only then — read the body within its cap
 * (JSON, or for an upload route a multipart form or JSON within the route's own cap), run the handler and answer JSON. Through Next.js the same
 * work cost ≈ 4× the server CPU (a bare Next route answers ≈ 1,000 requests/s on 2 cores).
 */
interface CompiledRoute {
  route: RestRoute;
  pattern: RegExp;
  names: string[];
}

const compiled: CompiledRoute[] = restRoutes.map((route) => {
  const names: string[] = [];
  const source = route.path.replace(/:(\w+)/g, (_, name: string) => (names.push(name), "([^/]+)"));
  return { route, pattern: new RegExp(`^${source}$`), names };
});

const ALLOW_ORDER = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

export type RouteMatch = { route: RestRoute; params: Record<string, string> } | { allow: string };

/** The route for a method and path; for a path served under other methods only, the `Allow` list. */
export function matchRestRoute(method: string, pathname: string): RouteMatch | undefined {
  const served: string[] = [];
  for (const { route, pattern, names } of compiled) {
    const found = pattern.exec(pathname);
    if (!found) continue;
    if (route.method === method || (method === "HEAD" && route.method === "GET")) {
      return { route, params: Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(found[index + 1]!)])) };
    }
    served.push(route.method);
  }
  if (served.length === 0) return undefined;
  const listed = ALLOW_ORDER.filter((name) => served.includes(name) || (name === "HEAD" && served.includes("GET")));
  return { allow: [...listed, "OPTIONS"].join(", ") };
}

/** Serves one request whose path a REST route (or its 404) owns. */
export async function serveRest(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  let route: RestRoute | undefined;
  observeAnswer(request, response, () => route?.path);
  try {
    const match = matchRestRoute(request.method ?? "GET", url.pathname);
    if (!match) throw new AppError("not_found", `No API endpoint at ${request.method} ${url.pathname}`, "path");
    if ("allow" in match) {
      if (request.method === "OPTIONS") {
        response.writeHead(204, { ...commonHeaders(), Allow: match.allow }).end();
        return;
      }
      const served = match.allow.split(", ").filter((method) => method !== "HEAD" && method !== "OPTIONS");
      throw new AppError("method_not_allowed", `${request.method} is not supported here; use ${served.join(" or ")}`, "method", {
        Allow: match.allow,
      });
    }
    route = match.route;
    await runRoute(request, response, url, match.route, match.params);
  } catch (error) {
    await refuse(request, response, error, route?.errorBody);
  }
}

/**
 * When the answer has gone out (or the client left): counts it under the route's pattern — a
 * path no route owns counts as `unmatched`, so scanners cannot grow the label set — and writes
 * the access line at debug level. The request's trace span takes the same pattern as its name.
 */
export function observeAnswer(request: IncomingMessage, response: ServerResponse, routeOf: () => string | undefined) {
  nameRequestRoute(response, routeOf);
  const started = performance.now();
  // Bound to the request's context, so the access line carries its request id.
  response.once(
    "close",
    AsyncResource.bind(() => {
      const seconds = (performance.now() - started) / 1000;
      const route = routeOf() ?? "unmatched";
      const status = response.headersSent ? response.statusCode : 0;
      countHttpRequest(route, request.method ?? "GET", status, seconds);
      logger.debug("request answered", { method: request.method, route, status, ms: Math.round(seconds * 10_000) / 10 });
    }),
  );
}

async function runRoute(request: IncomingMessage, response: ServerResponse, url: URL, route: RestRoute, params: Record<string, string>) {
  const headers = toFetchHeaders(request);
  let caller: Caller | undefined;
  let limitHeaders: Record<string, string> = {};
  if (route.permission !== "public") {
    caller = requirePermission(await requestCaller(headers), route.permission);
    if (!caller.apiKeyId) assertSameOriginMutation(request.method ?? "GET", request.headers, { allowMultipart: Boolean(route.upload) });
    if (route.rateLimit)
      limitHeaders = await enforceRateLimit({ teamId: caller.teamId, identity: rateLimitIdentityOf(caller), tier: route.rateLimit });
  }
  const body = route.upload
    ? await readUploadBody(request, route.upload.maxFileBytes())
    : route.body
      ? await readJsonBody(request)
      : await readBody(request).then(() => undefined);
  const abort = new AbortController();
  response.once("close", () => abort.abort());
  const result = await route.handle({ caller: caller!, params, query: url.searchParams, body, headers, signal: abort.signal });
  answer(request, response, result, limitHeaders);
}

function answer(request: IncomingMessage, response: ServerResponse, result: RouteResult, limitHeaders: Record<string, string>) {
  if ("json" in result) {
    sendJson(request, response, result.status ?? 200, result.json, { ...limitHeaders, ...result.headers });
    return;
  }
  if ("webResponse" in result) {
    answerWebResponse(request, response, result.webResponse, limitHeaders);
    return;
  }
  if ("download" in result) {
    response.writeHead(200, {
      ...commonHeaders(),
      ...limitHeaders,
      "Content-Type": result.contentType,
      "Content-Disposition": `attachment; filename="${result.filename.replace(/[^\w.-]/g, "_")}"`,
      "Cache-Control": "no-store",
    });
    if (request.method === "HEAD") {
      void result.download.cancel();
      response.end();
      return;
    }
    void pipeDownload(result.download, response);
    return;
  }
  response.once("close", countOpenStream());
  response.writeHead(200, {
    ...commonHeaders(),
    ...limitHeaders,
    ...result.headers,
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    Connection: "keep-alive",
    "X-Accel-Buffering": "no",
  });
  if (request.method === "HEAD") {
    void result.eventStream.cancel();
    response.end();
    return;
  }
  void pipeEventStream(result.eventStream, response);
}

function answerWebResponse(request: IncomingMessage, response: ServerResponse, answer: Response, limitHeaders: Record<string, string>) {
  response.writeHead(answer.status, {
    "Cache-Control": "no-store",
    ...commonHeaders(),
    ...limitHeaders,
    ...Object.fromEntries(answer.headers),
  });
  if (!answer.body || request.method === "HEAD") {
    void answer.body?.cancel();
    response.end();
    return;
  }
  void pipeEventStream(answer.body, response);
}

/**
 * Writes an event stream as the client takes it: while the socket is full it reads no more, so
 * unsent events wait in the stream's own queue, where the stream can see a client that stopped
 * reading and drop it (event-stream.ts) instead of Node buffering them without limit.
 */
async function pipeEventStream(stream: ReadableStream<Uint8Array>, response: ServerResponse) {
  const reader = stream.getReader();
  response.once("close", () => void reader.cancel().catch(() => undefined));
  // The stream ending itself (a client dropped for falling behind) also stops a wait for the socket to drain.
  const streamEnded = reader.closed.then(
    () => undefined,
    () => undefined,
  );
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      if (!response.write(chunk.value) && !response.destroyed) await Promise.race([writable(response), streamEnded]);
    }
  } catch {
    // The client went away (the stream is cancelled above), or fell too far behind: end what it has.
  } finally {
    response.end();
    // A client that never reads again would hold the socket's unsent bytes for ever: let it go after a grace period.
    if (!response.writableFinished) {
      const release = setTimeout(() => response.destroy(), STALLED_CLIENT_GRACE_MS).unref();
      response.once("close", () => clearTimeout(release));
    }
  }
}

const STALLED_CLIENT_GRACE_MS = 30_000;

/** Resolves when the response can take more (drained) or never will (closed). */
function writable(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.on("drain", done);
    response.on("close", done);
  });
}

/**
 * Writes a streamed file, waiting for the client to take each chunk before reading the next. A
 * failure after the headers went out (the database went away mid-export) can only cut the file
 * short: the connection is destroyed, so the client sees an incomplete download, not a complete one.
 */
async function pipeDownload(stream: ReadableStream<Uint8Array>, response: ServerResponse) {
  const reader = stream.getReader();
  response.once("close", () => void reader.cancel().catch(() => undefined));
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      if (!response.write(chunk.value))
        await new Promise((resolve) => {
          response.once("drain", resolve);
          response.once("close", resolve);
        });
    }
    response.end();
  } catch (error) {
    logger.warn("streamed download failed part-way; the connection is closed", { error });
    response.destroy();
  }
}

/**
 * Answers an error as JSON. A body still arriving (the request was refused before it was read,
 * or was too large) is not read now: the connection closes after the answer instead, so a client
 * cannot make the server swallow an upload it already refused. A request that has fully arrived
 * keeps its connection open for the next.
 */
async function refuse(request: IncomingMessage, response: ServerResponse, error: unknown, shape?: RestRoute["errorBody"]) {
  const { status, body } = errorStatusAndBody(error);
  const headers = error instanceof AppError && error.headers ? { ...error.headers } : {};
  if (bodyStillArriving(request)) {
    headers.Connection = "close";
    response.once("finish", () => request.destroy());
  }
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(request, response, status, shape ? shape(status, body) : body, headers);
}

/** Whether the request has a body that has not fully arrived (a bodiless request counts as arrived, even before Node says so). */
function bodyStillArriving(request: IncomingMessage): boolean {
  const hasBody = request.headers["transfer-encoding"] !== undefined || Number(request.headers["content-length"] ?? 0) > 0;
  return hasBody && !request.complete;
}

/** A refusal of the whole request before any route runs: a JSON error like any other. */
export function refuseRequest(request: IncomingMessage, response: ServerResponse, error: AppError) {
  void refuse(request, response, error);
}
