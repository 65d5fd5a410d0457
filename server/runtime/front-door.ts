import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { AppError } from "@/server/errors";
import { serveTrpc } from "@/server/api/serve-trpc";
import { refuseMalformedPath } from "@/server/http/malformed-path";
import { nodeHeaders } from "@/server/http/node-headers";
import { cameOverTls } from "@/server/http/public-origin";
import { withRequestId } from "@/server/http/request-id";
import { observeAnswer, refuseRequest, serveRest } from "@/server/http/rest-router";
import { traceIncomingRequest } from "@/server/observability/tracing";

/**
 * The first look at every request the server receives, before Next.js: it answers the whole API
 * itself — REST (server/http/rest-router.ts), tRPC (server/api/serve-trpc.ts), and a JSON 404 for any other path under
 * `/api` — so every API path gets the same body caps, same-origin checks and JSON errors, and
 * leaves pages, static files and the two framework-owned APIs (next-auth's `/api/auth`,
 * Inngest's `/api/inngest`) to Next. Returns true when it answered.
 */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** next-auth's endpoints (`/api/auth/<action>`) and Inngest's one (`/api/inngest`); nothing else under /api is Next's. */
const NEXT_OWNED_API = /^\/api\/(auth\/[^?]+|inngest)$/;
/** Proof that the request arrived over TLS earns this (once set, browsers use HTTPS only). */
const HSTS = "max-age=31536000; includeSubDomains";

export function answerBeforeNext(request: IncomingMessage, response: ServerResponse): boolean {
  return withRequestId(request, response, () => answerApi(request, response));
}

function answerApi(request: IncomingMessage, response: ServerResponse): boolean {
  if (cameOverTls(nodeHeaders(request.headers), "encrypted" in request.socket && request.socket.encrypted === true)) {
    response.setHeader("Strict-Transport-Security", HSTS);
  }
  // TRACE echoes the request (cookies included) back; CONNECT and the rest are not for us.
  if (!METHODS.has(request.method ?? "")) {
    refuseRequest(
      request,
      response,
      new AppError("method_not_allowed", `${request.method} is not supported`, "method", { Allow: [...METHODS].join(", ") }),
    );
    return true;
  }
  const target = request.url ?? "/";
  if (!target.startsWith("/")) {
    // `*` (for OPTIONS) or an absolute URL: a path is all Chorus serves.
    refuseRequest(request, response, new AppError("bad_request", "The request target must be a path", "path"));
    return true;
  }
  if (refuseMalformedPath(request, response)) return true;
  if (!target.startsWith("/api/") && target !== "/api" && !target.startsWith("/api?")) return false;
  const url = new URL(target, "http://chorus.internal");
  if (NEXT_OWNED_API.test(url.pathname)) return false;
  // A span per API request (when tracing is on), named by the route that answers it.
  traceIncomingRequest(request, response, () => {
    if (url.pathname.startsWith("/api/trpc/")) {
      // One label for all of tRPC: procedure names come from the client, and would not be bounded.
      observeAnswer(request, response, () => "/api/trpc");
      void serveTrpc(request, response, url);
      return;
    }
    void serveRest(request, response, url);
  });
  return true;
}

/**
 * A request Node's HTTP parser refuses before any handler sees it — headers or a URL past its
 * 16 KiB limit (431), a malformed request line or header (400) — is answered with a JSON error
 * like every other, instead of Node's bare status line.
 */
export function answerParserErrors(server: Server) {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || (error.code === "ECONNRESET" && !socket.readable)) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify({
      error: tooLarge
        ? { code: "bad_request", message: "The request's URL and headers must be at most 16 KiB together", field: "headers" }
        : { code: "bad_request", message: "The request is not valid HTTP", field: "request" },
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? "Request Header Fields Too Large" : "Bad Request"}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
