import type { IncomingMessage, ServerResponse } from "node:http";
import { AppError, errorBody } from "@/server/errors";

/**
 * Answers a request whose path is not valid percent-encoding (`/api/v1/tasks/%ff`) with a 400
 * naming the path, as every other bad input is answered; Next.js would fail decoding its route
 * parameters and answer a bare 500. Returns true when it answered.
 *
 * Wire it first in the server's request listener: `if (refuseMalformedPath(req, res)) return;`
 */
export function refuseMalformedPath(request: IncomingMessage, response: ServerResponse): boolean {
  const url = request.url ?? "/";
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  if (!path.includes("%")) return false;
  try {
    decodeURIComponent(path);
    return false;
  } catch {
    const body = JSON.stringify(errorBody(new AppError("bad_request", "The request path is not valid percent-encoded UTF-8", "path")));
    response.writeHead(400, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    response.end(body);
    return true;
  }
}
