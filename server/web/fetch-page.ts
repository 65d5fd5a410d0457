import { getEnv } from "@/server/env";
import { readableHtml } from "@/server/text/readable-html";
import { pdfText, UnreadablePdfError } from "@/server/text/pdf-text";
import type { FetchPolicy } from "./policy-entries";
import { FetchFailedError, guardedFetch, type Resolver } from "./guarded-fetch";

/**
 * A web page as an agent reads it: fetched through the guard (guarded-fetch.ts) and turned into
 * text — HTML through Readability (the article, not the navigation), PDF through pdf.js, plain
 * text, Markdown, JSON and XML as they are, decoded in the charset the server (or the page's
 * `<meta>`) names. What the fetch_url tool returns. The deadline and size cap default to
 * CHORUS_WEB_FETCH_TIMEOUT_MS and CHORUS_WEB_FETCH_MAX_BYTES (10 s, 2 MB).
 */

export interface ReadablePage {
  url: string;
  finalUrl: string;
  status: number;
  contentType: string;
  title: string;
  text: string;
  /** The body hit the size cap: the text is the part that fit. */
  truncated: boolean;
}

export interface FetchPageOptions {
  policy?: FetchPolicy;
  signal?: AbortSignal;
  resolver?: Resolver;
  timeoutMs?: number;
  maxBytes?: number;
}

export async function fetchReadablePage(url: string, options: FetchPageOptions = {}): Promise<ReadablePage> {
  const env = getEnv();
  const response = await guardedFetch(url, {
    ...options,
    timeoutMs: options.timeoutMs ?? env.CHORUS_WEB_FETCH_TIMEOUT_MS,
    maxBytes: options.maxBytes ?? env.CHORUS_WEB_FETCH_MAX_BYTES,
  });
  const page = { url: response.url, finalUrl: response.finalUrl, status: response.status, contentType: response.contentType };
  if (response.contentType === "application/pdf") {
    try {
      const { title, text } = await pdfText(response.body);
      return { ...page, title: title || titleOf(response.finalUrl), text, truncated: response.truncated };
    } catch (error) {
      if (!(error instanceof UnreadablePdfError)) throw error;
      const why = response.truncated ? "it is larger than the size limit and was cut" : "it is damaged or encrypted";
      throw new FetchFailedError("protocol", `The PDF at ${response.finalUrl} could not be read: ${why}`, false);
    }
  }
  const html = response.contentType === "text/html" || response.contentType === "application/xhtml+xml";
  const source = decode(response.body, response.charset ?? (html ? metaCharset(response.body) : undefined));
  if (html) {
    const { title, text } = await readableHtml(source, { url: response.finalUrl });
    return { ...page, title, text, truncated: response.truncated };
  }
  return { ...page, title: titleOf(response.finalUrl), text: source, truncated: response.truncated };
}

/** Text in the charset the server named (UTF-8 when it named none or one this runtime lacks); a cut multi-byte character is dropped. */
function decode(body: Uint8Array, charset: string | undefined): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset ?? "utf-8");
  } catch {
    decoder = new TextDecoder("utf-8");
  }
  return decoder.decode(body, { stream: true });
}

/** The charset a page declares in a `<meta>` near its start, for servers that send none in Content-Type. */
function metaCharset(body: Uint8Array): string | undefined {
  const head = Buffer.from(body.subarray(0, 2048)).toString("latin1");
  return /<meta[^>]+charset\s*=\s*["']?([\w-]+)/i.exec(head)?.[1]?.toLowerCase();
}

function titleOf(url: string): string {
  const parsed = new URL(url);
  return parsed.hostname + (parsed.pathname === "/" ? "" : parsed.pathname);
}
