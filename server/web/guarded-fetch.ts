import { lookup as dnsLookup } from "node:dns/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { pipeline, type Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { looksLikePdf } from "@/server/text/pdf-text";
import { checkAddress, type AddressRange } from "./address-guard";
import { compileFetchPolicy, type CompiledFetchPolicy, type FetchPolicy } from "./policy-entries";

/**
 * An HTTP GET for URLs a model chose, which may point anywhere: the fetch_url tool's only way
 * out. Plain `fetch` resolves the host itself, follows redirects itself and reads any size, so a
 * public name that resolves (or, on a second look-up, rebinds) to 127.0.0.1, or a page that
 * redirects to the metadata service, would get through. Here:
 * - only http and https, no credentials in the URL (any port);
 * - the host is resolved once per hop through an injectable resolver, EVERY address is checked
 *   (address-guard.ts, with the team's policy), and the socket connects to the address that was
 *   checked — the request's `lookup` answers with it, so no second DNS answer is ever used, while
 *   the Host header and TLS SNI/certificate check keep the name;
 * - redirects are followed by hand, at most 5, each hop checked again (scheme, host, address);
 * - one deadline (10 s by default) covers every hop and the body; the caller's AbortSignal is honoured;
 * - the body is read up to a cap (2 MB by default, after decompression) and then cut: `truncated`;
 * - only readable content types are accepted (HTML, XHTML, text, Markdown, JSON, XML, PDF);
 * - no cookies are kept or sent, and the User-Agent says who is asking.
 * Refusals are FetchRefusedError, failures FetchFailedError (`retryable` for timeouts, 5xx and
 * dropped connections); both carry messages written to be shown to a model and a user.
 */

export const USER_AGENT = "ChorusBot/0.1 (Chorus multi-agent platform; an agent reading a page for its user)";
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;
export const MAX_REDIRECTS = 5;

/** Content types an agent can read; `+json` and `+xml` types (RSS, Atom, JSON-LD) count as their base. */
export const READABLE_CONTENT_TYPES = [
  "text/html",
  "application/xhtml+xml",
  "text/plain",
  "text/markdown",
  "text/x-markdown",
  "application/json",
  "application/xml",
  "text/xml",
  "application/pdf",
] as const;

/** Resolves a host name to every address it has (the default is the system resolver, as `dns.lookup`). */
export type Resolver = (host: string) => Promise<Array<{ address: string; family?: number }>>;

export const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

export type RefusalReason =
  "invalid-url" | "scheme" | "credentials" | "private-address" | "denied-by-policy" | "too-many-redirects" | "content-type";

/** Chorus will not fetch this URL (or a URL it redirected to): retrying cannot help. */
export class FetchRefusedError extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    /** The URL refused: the one asked for, or the redirect hop that was refused. */
    readonly url: string,
  ) {
    super(message);
    this.name = "FetchRefusedError";
  }
}

export type FailureReason = "timeout" | "dns" | "connection" | "tls" | "http-status" | "protocol";

/** The fetch was attempted and did not succeed; `retryable` says whether trying again later may. */
export class FetchFailedError extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
    readonly retryable: boolean,
    /** The HTTP status, for `http-status`. */
    readonly status?: number,
  ) {
    super(message);
    this.name = "FetchFailedError";
  }
}

export interface GuardedFetchOptions {
  /** The team's allow and deny lists (getFetchPolicy); none = only public addresses. */
  policy?: FetchPolicy;
  signal?: AbortSignal;
  resolver?: Resolver;
  /** For everything: every hop, every look-up and the body. */
  timeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
}

export interface GuardedResponse {
  /** The URL asked for, normalized. */
  url: string;
  /** Where the content came from after redirects. */
  finalUrl: string;
  status: number;
  /** The media type without parameters, lower case (`text/html`); sniffed when the server sent none. */
  contentType: string;
  /** The `charset` parameter, when the server sent one. */
  charset?: string;
  body: Uint8Array;
  /** The body was longer than maxBytes and was cut there. */
  truncated: boolean;
  redirects: number;
}

export interface Pinned {
  url: URL;
  /** The host name without IPv6 brackets. */
  host: string;
  addresses: Array<{ address: string; family: 4 | 6 }>;
}

export async function guardedFetch(url: string, options: GuardedFetchOptions = {}): Promise<GuardedResponse> {
  const policy = compileFetchPolicy(options.policy);
  const resolver = options.resolver ?? systemResolver;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxRedirects = options.maxRedirects ?? MAX_REDIRECTS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const first = parseTarget(url);
  options.signal?.throwIfAborted();
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  try {
    let current = first;
    for (let redirects = 0; ; redirects += 1) {
      const pinned = await pin(current, policy, resolver, signal);
      const response = await connect(pinned, signal);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location !== undefined) {
        response.destroy();
        if (redirects >= maxRedirects) {
          throw new FetchRefusedError(
            "too-many-redirects",
            `Refused: more than ${maxRedirects} redirects (stopped at ${current.href})`,
            current.href,
          );
        }
        current = parseTarget(location, current);
        continue;
      }
      if (status < 200 || status >= 300) {
        response.destroy();
        throw statusError(status, current);
      }
      const declared = mediaType(response.headers["content-type"]);
      if (declared && declared.type !== "application/octet-stream" && !isReadable(declared.type)) {
        response.destroy();
        throw new FetchRefusedError(
          "content-type",
          `Refused: ${current.host} answered with ${declared.type}, which is not readable text`,
          current.href,
        );
      }
      const { body, truncated } = await readBody(response, maxBytes);
      const contentType = declared && declared.type !== "application/octet-stream" ? declared.type : sniff(body);
      if (!contentType) {
        throw new FetchRefusedError(
          "content-type",
          `Refused: ${current.host} answered with binary content that is not readable text`,
          current.href,
        );
      }
      return { url: first.href, finalUrl: current.href, status, contentType, charset: declared?.charset, body, truncated, redirects };
    }
  } catch (error) {
    throw translate(error, options.signal, deadline.signal, timeoutMs);
  } finally {
    clearTimeout(timer);
  }
}

/** A URL (relative to `base` for a redirect) Chorus may ask for: http(s), no credentials. (Also guarded-post.ts's.) */
export function parseTarget(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new FetchRefusedError(
      "invalid-url",
      base ? `Refused: ${base.host} redirected to an invalid URL` : "Refused: not a valid URL",
      raw,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FetchRefusedError(
      "scheme",
      `Refused: only http and https URLs can be fetched, not ${url.protocol.replace(/:$/, "")}`,
      url.href,
    );
  }
  if (url.username || url.password) {
    throw new FetchRefusedError("credentials", "Refused: URLs with a user name or password are not fetched", redact(url));
  }
  url.hash = "";
  return url;
}

function redact(url: URL): string {
  const copy = new URL(url.href);
  copy.username = "";
  copy.password = "";
  return copy.href;
}

/** Resolves the URL's host and checks every address; the answer is what the socket will connect to. (Also guarded-post.ts's.) */
export async function pin(url: URL, policy: CompiledFetchPolicy, resolver: Resolver, signal: AbortSignal): Promise<Pinned> {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: Array<{ address: string; family: 4 | 6 }>;
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) as 4 | 6 }];
  else {
    let answer: Awaited<ReturnType<Resolver>>;
    try {
      answer = await abortable(resolver(host), signal);
    } catch (error) {
      if (signal.aborted) throw error;
      const code = (error as { code?: unknown }).code;
      const transient = code === "EAI_AGAIN" || code === "ETIMEOUT" || code === "ESERVFAIL";
      throw new FetchFailedError("dns", `The host ${host} could not be resolved${transient ? " right now" : ""}`, transient);
    }
    addresses = answer.flatMap(({ address }) => (isIP(address) ? [{ address, family: isIP(address) as 4 | 6 }] : []));
    if (addresses.length === 0) throw new FetchFailedError("dns", `The host ${host} has no address`, false);
  }
  for (const { address } of addresses) {
    const verdict = checkAddress(host, address, policy);
    if (verdict.allowed) continue;
    if (verdict.reason === "denied-by-policy") {
      throw new FetchRefusedError("denied-by-policy", `Refused: ${host} is on your team's deny list for web fetches`, url.href);
    }
    const what = isIP(host) ? `${host} is ${RANGE_WORDS[verdict.range]}` : `${host} resolves to ${address}, ${RANGE_WORDS[verdict.range]}`;
    throw new FetchRefusedError("private-address", `Refused: ${what}, which web fetches may not reach`, url.href);
  }
  return { url, host, addresses };
}

const RANGE_WORDS: Record<AddressRange, string> = {
  public: "a public address",
  loopback: "a loopback address (this server itself)",
  unspecified: "an unspecified address (this server itself)",
  private: "a private network address",
  "unique-local": "a private (unique-local IPv6) address",
  "carrier-grade-nat": "a shared (carrier-grade NAT) address",
  "link-local": "a link-local address",
  metadata: "a cloud metadata service address",
  multicast: "a multicast address",
  broadcast: "a broadcast address",
  reserved: "a reserved or non-routable address",
};

/** Connection errors after which the host's next checked address is worth trying. */
const NEXT_ADDRESS = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);

async function connect(pinned: Pinned, signal: AbortSignal): Promise<IncomingMessage> {
  let lastError: unknown;
  for (const address of pinned.addresses) {
    try {
      return await requestAt(pinned, address, signal);
    } catch (error) {
      lastError = error;
      if (signal.aborted || !NEXT_ADDRESS.has(String((error as { code?: unknown }).code))) throw error;
    }
  }
  throw lastError;
}

/** One GET whose socket goes to `address` (already checked), whatever DNS would say now. */
function requestAt(pinned: Pinned, address: { address: string; family: 4 | 6 }, signal: AbortSignal): Promise<IncomingMessage> {
  const { url, host } = pinned;
  const pinnedLookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [address]);
    else callback(null, address.address, address.family);
  };
  const https = url.protocol === "https:";
  return new Promise((resolve, reject) => {
    const request = (https ? httpsRequest : httpRequest)(
      {
        host,
        port: url.port || (https ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers: {
          "User-Agent": USER_AGENT,
          Accept:
            "text/html,application/xhtml+xml,text/plain;q=0.9,text/markdown;q=0.9,application/json;q=0.8,application/pdf;q=0.8,*/*;q=0.1",
          "Accept-Encoding": "gzip, deflate, br",
        },
        lookup: pinnedLookup,
        // SNI and the certificate check use the name, not the pinned address (no SNI for an IP literal).
        ...(https && !isIP(host) ? { servername: host } : {}),
        agent: false,
        signal,
      },
      resolve,
    );
    // `on`, not `once`: an error after the response arrived (an abort mid-body) must not go unhandled; the body reader sees it.
    request.on("error", reject);
    request.end();
  });
}

/** Reads the (decompressed) body up to maxBytes, then stops reading and closes the connection. */
async function readBody(response: IncomingMessage, maxBytes: number): Promise<{ body: Uint8Array; truncated: boolean }> {
  const encoding = (response.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  let stream: Readable = response;
  if (encoding !== "identity" && encoding !== "") {
    const decoder =
      encoding === "gzip" || encoding === "x-gzip"
        ? createGunzip()
        : encoding === "deflate"
          ? createInflate()
          : encoding === "br"
            ? createBrotliDecompress()
            : undefined;
    if (!decoder) {
      response.destroy();
      throw new FetchFailedError(
        "protocol",
        `The server sent the page in an encoding Chorus cannot read (${encoding.slice(0, 40)})`,
        false,
      );
    }
    stream = pipeline(response, decoder, () => undefined);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (size + chunk.length > maxBytes) {
        chunks.push(chunk.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (error) {
    if ((error as { code?: unknown }).code === "Z_DATA_ERROR" || (error as { code?: unknown }).code === "Z_BUF_ERROR") {
      throw new FetchFailedError("protocol", "The server sent a corrupt compressed body", false);
    }
    throw error;
  } finally {
    stream.destroy();
    response.destroy();
  }
  return { body: new Uint8Array(Buffer.concat(chunks, size)), truncated };
}

function mediaType(header: string | undefined): { type: string; charset?: string } | undefined {
  if (!header) return undefined;
  const [type, ...parameters] = header.split(";");
  const normal = type!.trim().toLowerCase();
  if (!normal) return undefined;
  const charset = parameters
    .map((parameter) => /^\s*charset\s*=\s*"?([^";\s]+)"?\s*$/i.exec(parameter)?.[1])
    .find((value) => value !== undefined);
  return { type: normal, ...(charset ? { charset: charset.toLowerCase() } : {}) };
}

function isReadable(type: string): boolean {
  if ((READABLE_CONTENT_TYPES as readonly string[]).includes(type)) return true;
  return /^application\/[a-z0-9.+-]+\+(json|xml)$/.test(type);
}

/** The type of a body the server did not label (or labelled octet-stream): PDF, HTML or text; undefined for binary. */
function sniff(body: Uint8Array): string | undefined {
  if (looksLikePdf(body)) return "application/pdf";
  const head = body.subarray(0, 1024);
  if (head.includes(0)) return undefined;
  const start = Buffer.from(head).toString("utf8").trimStart().slice(0, 64).toLowerCase();
  return start.startsWith("<!doctype html") || start.startsWith("<html") ? "text/html" : "text/plain";
}

function statusError(status: number, url: URL): FetchFailedError {
  const retryable = status >= 500 || status === 429 || status === 408;
  const what =
    status === 404 ? "the page was not found" : status === 401 || status === 403 ? "access was refused" : `it answered ${status}`;
  return new FetchFailedError("http-status", `${url.host} could not be fetched: ${what} (HTTP ${status})`, retryable, status);
}

/** Waits for a promise that cannot be cancelled itself (a DNS look-up), but stops waiting on abort. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  // What it rejects with on abort does not matter: translate() answers from the signals themselves.
  const aborted = () => new Error("aborted");
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener("abort", onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener("abort", onAbort), reject(error instanceof Error ? error : new Error(String(error)))),
    );
  });
}

const RESET = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "UND_ERR_SOCKET"]);

/** Any error of a fetch as one of ours; the caller's own abort stays the caller's abort reason. */
function translate(error: unknown, callerSignal: AbortSignal | undefined, deadline: AbortSignal, timeoutMs: number): unknown {
  if (error instanceof FetchRefusedError || error instanceof FetchFailedError) return error;
  if (callerSignal?.aborted) return callerSignal.reason;
  if (deadline.aborted)
    return new FetchFailedError("timeout", `The page did not arrive within ${Math.round(timeoutMs / 100) / 10} s`, true);
  const code = String((error as { code?: unknown }).code ?? "");
  if (RESET.has(code)) return new FetchFailedError("connection", "The connection was dropped before the page arrived", true);
  if (code === "ECONNREFUSED") return new FetchFailedError("connection", "The server refused the connection", false);
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return new FetchFailedError("connection", "The server could not be reached", true);
  if (code.startsWith("HPE_")) return new FetchFailedError("protocol", "The server's answer was not valid HTTP", false);
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return new FetchFailedError("tls", "The server's TLS certificate could not be verified", false);
  }
  return new FetchFailedError("connection", "The page could not be fetched", true);
}
