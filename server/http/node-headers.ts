import type { IncomingHttpHeaders, IncomingMessage } from "node:http";

/** node:http's request headers as the fetch API's Headers (for code shared with fetch handlers). */
export function toFetchHeaders(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}

/** A read-only `get` over node:http's headers, for a look-up or two without copying them all. */
export function nodeHeaders(headers: IncomingHttpHeaders): { get(name: string): string | null } {
  return {
    get: (name) => {
      const value = headers[name.toLowerCase()];
      return (Array.isArray(value) ? value[0] : value) ?? null;
    },
  };
}
