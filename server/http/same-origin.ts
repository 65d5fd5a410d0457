import type { IncomingHttpHeaders } from "node:http";
import { AppError } from "@/server/errors";
import { nodeHeaders } from "./node-headers";
import { publicOrigin } from "./public-origin";

/**
 * Cross-site request forgery. A browser sends the session cookie with a form another site — or
 * another port of the same host — posts to Chorus (`<form enctype="text/plain">` needs no
 * preflight). So a state-changing request authenticated by the cookie must be JSON (which a form
 * cannot send and a cross-origin script cannot send without a preflight we never answer) and must
 * come from Chorus's own origin: `Origin` naming this host, or — where a browser sends no Origin —
 * `Sec-Fetch-Site: same-origin`. Requests with an API key carry no ambient credential and are not
 * checked.
 */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function assertSameOriginMutation(method: string, headers: IncomingHttpHeaders, options: { allowMultipart?: boolean } = {}): void {
  if (SAFE_METHODS.has(method)) return;
  const contentType = headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  // A file upload from the dashboard is a multipart form, which any site can also post: for the
  // routes that take one, the origin check below is what stands between it and the cookie.
  const multipartAllowed = options.allowMultipart === true && contentType === "multipart/form-data";
  if (contentType !== "application/json" && !multipartAllowed) {
    throw new AppError(
      "forbidden",
      "A signed-in browser request that changes something must send Content-Type: application/json",
      "content-type",
    );
  }
  const origin = headers.origin;
  if (origin === undefined) {
    if (headers["sec-fetch-site"] === "same-origin") return;
    throw new AppError(
      "forbidden",
      "A signed-in browser request that changes something must come from Chorus's own pages (no Origin header)",
      "origin",
    );
  }
  const own = publicOrigin(nodeHeaders(headers));
  if (own === undefined || hostOf(origin) !== new URL(own).host) {
    throw new AppError("forbidden", "A signed-in browser request that changes something must come from Chorus's own pages", "origin");
  }
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
