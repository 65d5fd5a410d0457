/**
 * Names each HTTP request: the id a proxy or client sent in `X-Request-Id` when it is sane (up
 * to 128 letters, digits and `._:-`), else a new UUID. It goes back as the `X-Request-Id`
 * response header and onto every log line written while the request is answered, so one
 * request's lines can be found together and matched with the proxy's.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { runInRequestContext } from "@/server/observability/request-context";

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const HEADER = "X-Request-Id";

/** Runs `work` with the request's id set for logging and answered as a header; a second call for the same request keeps the first id. */
export function withRequestId<T>(request: IncomingMessage, response: ServerResponse, work: () => T): T {
  const assigned = response.getHeader(HEADER);
  const offered = request.headers["x-request-id"];
  const requestId =
    typeof assigned === "string" ? assigned : typeof offered === "string" && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
  if (!response.headersSent) response.setHeader(HEADER, requestId);
  return runInRequestContext(requestId, work);
}
