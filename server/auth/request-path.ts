import type { IncomingMessage } from "node:http";

/**
 * The path and query a page was requested with, for server components (a layout is not told
 * its URL): the custom server copies it into this header, replacing whatever a client sent under
 * the name. The dashboard uses it to send a signed-out visitor of a shared task link to sign-in
 * with `next` set, so the link still works afterwards (next-path.ts validates it).
 */
export const REQUEST_PATH_HEADER = "x-chorus-request-path";

export function recordRequestPath(request: IncomingMessage) {
  request.headers[REQUEST_PATH_HEADER] = request.url ?? "/";
}
