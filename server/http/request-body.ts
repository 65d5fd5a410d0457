import type { IncomingMessage } from "node:http";
import { AppError } from "@/server/errors";

/**
 * Request bodies are read only after the caller is authenticated and allowed to do what it asks,
 * and never past a hard cap: a declared Content-Length over the cap is refused before a byte is
 * read, and a body that streams past it is refused as soon as it does (413). Reading the whole
 * body first (`request.text()`) let one viewer key hold 800 MB of memory for 18 s.
 */
export const MAX_BODY_BYTES = 256 * 1024;

export function bodyTooLarge(maxBytes = MAX_BODY_BYTES): AppError {
  return new AppError("payload_too_large", `Request body must be at most ${maxBytes} bytes`, "body");
}

/** The raw body, refused with a 413 the moment it passes `maxBytes`. */
export async function readBody(request: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw bodyTooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw bodyTooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** A JSON body: empty is `{}`, anything that is not JSON a 400 naming the body. */
export async function readJsonBody(request: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  const text = (await readBody(request, maxBytes)).toString("utf8");
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("bad_request", "Request body must be valid JSON", "body");
  }
}
