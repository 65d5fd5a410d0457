import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { FetchFailedError, FetchRefusedError, parseTarget, pin, systemResolver, type Pinned, type Resolver } from "./guarded-fetch";
import type { FetchPolicy } from "./policy-entries";
import { compileFetchPolicy } from "./policy-entries";

/**
 * An HTTP POST to a URL a team admin chose (a webhook endpoint), through the same SSRF guard as
 * the fetch tool's GET: the host is resolved once, every address is checked (address-guard.ts),
 * and the socket connects to the checked address. A webhook never follows a redirect (a 3xx is
 * just the answer), has one deadline for connecting, sending and reading, and reads at most
 * `maxResponseBytes` of the answer. Refusals are FetchRefusedError; a failed connection or a
 * deadline is FetchFailedError; any HTTP status is an answer, not an error.
 */

export const WEBHOOK_USER_AGENT = "Chorus-Webhooks/1.0 (Standard Webhooks)";

/**
 * The policy that lets private, loopback and other internal addresses through for a team whose
 * admin allowed private destinations. Link-local and cloud metadata addresses stay refused: the
 * guard never lets an allow entry open those (address-guard.ts).
 */
export const PRIVATE_DESTINATIONS_POLICY: FetchPolicy = { allow: ["0.0.0.0/0", "::/0"], deny: [] };

export interface GuardedPostOptions {
  headers: Record<string, string>;
  policy?: FetchPolicy;
  timeoutMs: number;
  maxResponseBytes: number;
  resolver?: Resolver;
}

export interface GuardedPostAnswer {
  status: number;
  /** The first maxResponseBytes of the answer's body, as UTF-8 text. */
  bodyExcerpt: string;
}

export async function guardedPost(url: string, body: string, options: GuardedPostOptions): Promise<GuardedPostAnswer> {
  const target = parseTarget(url);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  try {
    const pinned = await pin(target, compileFetchPolicy(options.policy), options.resolver ?? systemResolver, deadline.signal);
    const response = await postTo(pinned, body, options.headers, deadline.signal);
    return { status: response.statusCode ?? 0, bodyExcerpt: await readExcerpt(response, options.maxResponseBytes) };
  } catch (error) {
    if (error instanceof FetchRefusedError || error instanceof FetchFailedError) throw error;
    if (deadline.signal.aborted) throw new FetchFailedError("timeout", `No answer within ${options.timeoutMs / 1000} s`, true);
    const code = String((error as { code?: unknown }).code ?? "");
    if (code === "ECONNREFUSED") throw new FetchFailedError("connection", "The receiver refused the connection", true);
    if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code))
      throw new FetchFailedError("tls", "The receiver's TLS certificate could not be verified", true);
    throw new FetchFailedError("connection", `The connection failed${code ? ` (${code})` : ""}`, true);
  } finally {
    clearTimeout(timer);
  }
}

async function postTo(pinned: Pinned, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
  let lastError: unknown;
  for (const address of pinned.addresses) {
    try {
      return await requestAt(pinned, address, body, headers, signal);
    } catch (error) {
      lastError = error;
      if (signal.aborted || String((error as { code?: unknown }).code) !== "ECONNREFUSED") throw error;
    }
  }
  throw lastError;
}

function requestAt(
  pinned: Pinned,
  address: { address: string; family: 4 | 6 },
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const { url, host } = pinned;
  const pinnedLookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [address]);
    else callback(null, address.address, address.family);
  };
  const https = url.protocol === "https:";
  const payload = Buffer.from(body, "utf8");
  return new Promise((resolve, reject) => {
    const request = (https ? httpsRequest : httpRequest)(
      {
        host,
        port: url.port || (https ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: "POST",
        headers: {
          ...headers,
          "User-Agent": WEBHOOK_USER_AGENT,
          "Content-Type": "application/json",
          "Content-Length": String(payload.length),
        },
        lookup: pinnedLookup,
        ...(https && !isIP(host) ? { servername: host } : {}),
        agent: false,
        signal,
      },
      resolve,
    );
    request.on("error", reject);
    request.end(payload);
  });
}

async function readExcerpt(response: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      chunks.push(chunk.subarray(0, maxBytes - size));
      size += Math.min(chunk.length, maxBytes - size);
      if (size >= maxBytes) break;
    }
  } catch {
    // The status is the answer; a body cut off on the way is only a shorter excerpt.
  } finally {
    response.destroy();
  }
  return Buffer.concat(chunks, size)
    .toString("utf8")
    .replace(/\uFFFD+$/, "");
}
