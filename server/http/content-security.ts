import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * A Content-Security-Policy for every page, with a fresh nonce per request. Next.js reads the
 * nonce from the request's policy header and puts it on its own scripts, so no other script
 * runs: markdown a model wrote (already sanitised by DOMPurify) gets a second line of defence,
 * and an image in it cannot load from — or carry task text to — another host.
 *
 * Only in production: `next dev` needs eval and a websocket for hot reload. API responses are
 * JSON and static assets are files, so they go without.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
    // React sets style attributes (a progress bar's width); no style sheet comes from elsewhere.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function applyContentSecurityPolicy(request: IncomingMessage, response: ServerResponse) {
  const url = request.url ?? "/";
  if (url.startsWith("/api/") || url.startsWith("/_next/static/")) return;
  const policy = contentSecurityPolicy(randomBytes(16).toString("base64"));
  request.headers["content-security-policy"] = policy; // read by Next to nonce its scripts
  response.setHeader("Content-Security-Policy", policy);
}
