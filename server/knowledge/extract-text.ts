import { AppError } from "@/server/errors";
import { readableHtml } from "@/server/text/readable-html";
import { looksLikePdf, pdfText, UnreadablePdfError } from "@/server/text/pdf-text";

/**
 * The text of an uploaded document, by what its bytes are — never by its file name, which the
 * uploader chooses: a PDF (its `%PDF-` header) through pdf.js, HTML (markup at the start, as
 * browsers sniff it) through Readability, any other valid UTF-8 without NUL characters as plain
 * text or Markdown. Anything else (images, archives, executables, other encodings) is refused
 * with a 415 naming `file`; a document with no text in it (empty, a scanned PDF) with a 400.
 */

export const ACCEPTED_TYPES = "plain text, Markdown, HTML or PDF";

export type KnowledgeContentType = "application/pdf" | "text/html" | "text/markdown" | "text/plain";

export interface ExtractedText {
  contentType: KnowledgeContentType;
  /** The document's own title (PDF metadata, HTML <title>, a leading Markdown heading), if it has one. */
  title: string;
  text: string;
}

/** Formats that are clearly not text, named in the refusal so the uploader knows what was seen. */
const BINARY_SIGNATURES: Array<[string, number[]]> = [
  ["a PNG image", [0x89, 0x50, 0x4e, 0x47]],
  ["a JPEG image", [0xff, 0xd8, 0xff]],
  ["a GIF image", [0x47, 0x49, 0x46, 0x38]],
  ["a ZIP archive (or an Office document)", [0x50, 0x4b, 0x03, 0x04]],
  ["a gzip archive", [0x1f, 0x8b]],
  ["an executable", [0x7f, 0x45, 0x4c, 0x46]],
];

function unsupported(what: string): AppError {
  return new AppError("unsupported_media_type", `The file is ${what}; the knowledge base accepts ${ACCEPTED_TYPES}`, "file");
}

export async function extractText(bytes: Uint8Array): Promise<ExtractedText> {
  if (bytes.length === 0) throw new AppError("bad_request", "The file is empty", "file");
  if (looksLikePdf(bytes)) return nonEmpty(await pdf(bytes));
  for (const [what, signature] of BINARY_SIGNATURES) {
    if (signature.every((byte, index) => bytes[index] === byte)) throw unsupported(what);
  }
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw unsupported("neither UTF-8 text nor a PDF");
  }
  if (decoded.includes("\u0000")) throw unsupported("binary (it contains NUL bytes)");
  const text = normalise(decoded);
  if (looksLikeHtml(text)) {
    const page = await readableHtml(text);
    return nonEmpty({ contentType: "text/html", title: page.title, text: normalise(page.text) });
  }
  const heading = /^#{1,6}[ \t]+(.+)$/m.exec(text.slice(0, 2000));
  return nonEmpty({
    contentType: looksLikeMarkdown(text) ? "text/markdown" : "text/plain",
    title: heading?.[1]?.trim().replace(/#+$/, "").trim() ?? "",
    text,
  });
}

async function pdf(bytes: Uint8Array): Promise<ExtractedText> {
  try {
    const { title, text } = await pdfText(bytes);
    return { contentType: "application/pdf", title, text: normalise(text) };
  } catch (error) {
    if (error instanceof UnreadablePdfError) throw new AppError("bad_request", "The PDF could not be read (damaged or encrypted?)", "file");
    throw error;
  }
}

function nonEmpty(extracted: ExtractedText): ExtractedText {
  if (!extracted.text.trim()) {
    const why = extracted.contentType === "application/pdf" ? " (a scanned PDF has only images; text must be selectable)" : "";
    throw new AppError("bad_request", `The file has no text to index${why}`, "file");
  }
  return extracted;
}

/** One line ending, no NULs (pdf.js can produce them), no trailing spaces on lines, no surrounding blank lines. */
function normalise(text: string): string {
  return text
    .replace(/^\uFEFF/, "")
    .replace(/\r\n?/g, "\n")
    .replaceAll("\u0000", "")
    .replace(/[ \t]+$/gm, "")
    .trim();
}

/** The HTML sniffing rule of the WHATWG MIME Sniffing standard: one of these tags first, after whitespace. */
const HTML_START = /^\s*<(!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--)(?=[\s>])/i;

function looksLikeHtml(text: string): boolean {
  return HTML_START.test(text);
}

/** Headings, fenced code, links or lists: enough Markdown that rendering it as Markdown is right. */
function looksLikeMarkdown(text: string): boolean {
  const sample = text.slice(0, 20_000);
  return (
    /^#{1,6}[ \t]+\S/m.test(sample) || /^```/m.test(sample) || /\[[^\]\n]+\]\([^)\s]+\)/.test(sample) || /^\s*[-*+][ \t]+\S/m.test(sample)
  );
}
