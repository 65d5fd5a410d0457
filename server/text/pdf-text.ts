/**
 * The text of a PDF, page by page, through unpdf (Mozilla's pdf.js packaged for servers; 1.7 is
 * the last line that runs on Node 20). A file that is not a readable PDF rejects with
 * UnreadablePdfError, so callers can answer "this PDF could not be read" rather than a 500.
 */

export class UnreadablePdfError extends Error {
  constructor(cause: unknown) {
    super("The PDF could not be read", { cause });
    this.name = "UnreadablePdfError";
  }
}

export async function pdfText(bytes: Uint8Array): Promise<{ title: string; text: string; pages: number }> {
  const { extractText, getDocumentProxy } = await import("unpdf"); // pdf.js is large: loaded on the first PDF
  try {
    // pdf.js takes ownership of (and detaches) the buffer it is given: hand it a copy.
    const pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
    const { totalPages, text } = await extractText(pdf, { mergePages: false });
    const info = (await pdf.getMetadata().catch(() => null))?.info as { Title?: unknown } | undefined;
    await pdf.destroy();
    const title = typeof info?.Title === "string" ? info.Title.trim() : "";
    return { title, text: text.map((page) => page.trim()).join("\n\n"), pages: totalPages };
  } catch (error) {
    throw new UnreadablePdfError(error);
  }
}

/** True when the bytes start like a PDF file (its `%PDF-` header), whatever the file is called. */
export function looksLikePdf(bytes: Uint8Array): boolean {
  return bytes.length >= 5 && bytes[0] === 0x25 && bytes[1] === 0x50 && bytes[2] === 0x44 && bytes[3] === 0x46 && bytes[4] === 0x2d;
}
