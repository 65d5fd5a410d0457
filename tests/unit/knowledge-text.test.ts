import { describe, expect, it } from "vitest";
import { AppError } from "@/server/errors";
import { chunkText } from "@/server/knowledge/chunk-text";
import { extractText } from "@/server/knowledge/extract-text";
import { hasLoneSurrogate } from "@/server/text/cut-text";
import { minimalPdf } from "../support/minimal-pdf";

/**
 * What the knowledge base reads from an upload — decided by its bytes, never its name — and how
 * it cuts the text into the passages search ranks.
 */
const bytes = (text: string) => new TextEncoder().encode(text);

async function refusal(input: Uint8Array): Promise<AppError> {
  const error = await extractText(input).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("extracting a document's text by its content", () => {
  it("plain text stays as it is (line endings and a BOM normalised)", async () => {
    const extracted = await extractText(bytes("\uFEFFLighthouse keepers trimmed the wicks.\r\nEvery night."));
    expect(extracted).toEqual({ contentType: "text/plain", title: "", text: "Lighthouse keepers trimmed the wicks.\nEvery night." });
  });

  it("Markdown is recognised by its headings, and its first heading is the title", async () => {
    const extracted = await extractText(bytes("# Fresnel lenses\n\nA lens made of rings.\n\n## History\n\n- 1822: first lens"));
    expect(extracted.contentType).toBe("text/markdown");
    expect(extracted.title).toBe("Fresnel lenses");
    expect(extracted.text).toContain("## History");
  });

  it("HTML is read as a page: its title, its text, no scripts or markup", async () => {
    const html = `<!DOCTYPE html><html><head><title>Tide tables</title><script>steal()</script></head>
      <body><article><h1>Tide tables</h1><p>High water at Brest comes twice a day, about twelve hours and twenty-five minutes apart.</p>
      <p>Spring tides follow the new and full moon.</p></article></body></html>`;
    const extracted = await extractText(bytes(html));
    expect(extracted.contentType).toBe("text/html");
    expect(extracted.title).toBe("Tide tables");
    expect(extracted.text).toContain("High water at Brest");
    expect(extracted.text).not.toMatch(/steal|<p>|<\/?article/);
  });

  it("a PDF is recognised by its %PDF- header and its text extracted, page by page", async () => {
    const extracted = await extractText(minimalPdf(["Foghorns sound every thirty seconds.", "Radio beacons replaced them."]));
    expect(extracted.contentType).toBe("application/pdf");
    expect(extracted.text).toContain("Foghorns sound every thirty seconds.");
    expect(extracted.text).toContain("Radio beacons replaced them.");
  });

  it("text whose name says .pdf is still text: the name is never consulted", async () => {
    // extractText takes no name at all; this is the content of a file someone called notes.pdf.
    expect((await extractText(bytes("Just notes, not a PDF."))).contentType).toBe("text/plain");
  });

  it("a damaged PDF is a 400 naming the file, not a crash", async () => {
    const error = await refusal(bytes("%PDF-1.4\nthis is not really a pdf at all"));
    expect(error).toMatchObject({ code: "bad_request", field: "file" });
  });

  it.each([
    ["a PNG", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])],
    ["a ZIP", new Uint8Array([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 8, 0])],
    ["binary with NULs", new Uint8Array([0x41, 0x42, 0x00, 0x43, 0x44])],
    ["Latin-1 (not UTF-8)", new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6e, 0x6f, 0x69, 0x72])],
  ])("%s (whatever it is called) is refused with a 415 that names the file and the accepted types", async (_, input) => {
    const error = await refusal(input);
    expect(error.code).toBe("unsupported_media_type");
    expect(error.field).toBe("file");
    expect(error.message).toMatch(/plain text, Markdown, HTML or PDF/);
  });

  it.each([
    ["empty", bytes("")],
    ["only whitespace", bytes(" \n\n\t ")],
    ["HTML with no text", bytes("<html><body><script>x()</script></body></html>")],
  ])("a document with no text (%s) is a 400 naming the file", async (_, input) => {
    expect(await refusal(input)).toMatchObject({ code: "bad_request", field: "file" });
  });
});

describe("chunking", () => {
  const sentence = (n: number) => `Sentence number ${n} talks about lighthouses and their keepers.`;
  const paragraph = (from: number, count: number) => Array.from({ length: count }, (_, index) => sentence(from + index)).join(" ");

  it("keeps a short text whole", () => {
    expect(chunkText("One short paragraph.")).toEqual(["One short paragraph."]);
  });

  it("cuts about every 1,000 characters, between paragraphs, and loses no paragraph", () => {
    const paragraphs = Array.from({ length: 12 }, (_, index) => paragraph(index * 4, 4));
    const chunks = chunkText(paragraphs.join("\n\n"));
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(1000 + 150 + 1);
    for (const text of paragraphs) expect(chunks.some((chunk) => chunk.includes(text))).toBe(true);
  });

  it("splits a paragraph longer than a chunk between sentences, and repeats the last sentences of one chunk (≤ 150 characters) at the start of the next", () => {
    const long = paragraph(0, 40);
    const chunks = chunkText(long);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) {
      expect(chunk).toMatch(/^Sentence number \d+/);
      expect(chunk).toMatch(/keepers\.$/);
    }
    for (let index = 1; index < chunks.length; index++) {
      const previous = chunks[index - 1]!;
      const firstSentence = /^Sentence number \d+ [^.]*\./.exec(chunks[index]!)![0];
      const carried = previous.slice(previous.lastIndexOf(firstSentence));
      expect(previous.endsWith(carried)).toBe(true);
      expect(carried.length).toBeLessThanOrEqual(150);
      expect(chunks[index]!.startsWith(carried)).toBe(true);
    }
    for (let n = 0; n < 40; n++) expect(chunks.some((chunk) => chunk.includes(sentence(n)))).toBe(true);
  });

  it("keeps a heading with the paragraph after it", () => {
    const text = `${paragraph(0, 14)}\n\n## Fresnel lenses\n\n${paragraph(100, 3)}`;
    const chunks = chunkText(text);
    const headed = chunks.find((chunk) => chunk.includes("## Fresnel lenses"))!;
    expect(headed).toContain(`## Fresnel lenses\n\n${sentence(100)}`);
  });

  it("never splits an emoji's surrogate pair, even in text with no spaces", () => {
    const text = "🗼".repeat(3000);
    const chunks = chunkText(text);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) {
      expect(hasLoneSurrogate(chunk)).toBe(false);
      expect(chunk.length).toBeLessThanOrEqual(1000);
    }
    expect(chunks.join("")).toBe(text);
  });

  it("cuts a run-on sentence between words", () => {
    const words = Array.from({ length: 600 }, (_, index) => `word${index}`).join(" ");
    const chunks = chunkText(words);
    for (const chunk of chunks) expect(chunk).toMatch(/^word\d+( word\d+)*$/);
  });
});
