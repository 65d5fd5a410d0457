import { describe, expect, it } from "vitest";
import { readableHtml } from "@/server/text/readable-html";
import { looksLikePdf, pdfText, UnreadablePdfError } from "@/server/text/pdf-text";
import { minimalPdf } from "../support/minimal-pdf";

describe("readableHtml", () => {
  it("keeps the article's shape and drops scripts, styles and navigation", async () => {
    const page = `<html><head><title>Harbour report</title><style>p{}</style></head><body>
      <nav><a href="/">Home</a> <a href="/about">About</a></nav>
      <article><h1>Harbour traffic</h1><p>${"Container volumes rose in the third quarter. ".repeat(12)}</p>
      <ul><li>Rotterdam up 4%</li><li>Hamburg <a href="/h">flat</a></li></ul></article>
      <script>document.write("secret")</script></body></html>`;
    const { title, text } = await readableHtml(page);
    expect(title).toBe("Harbour report");
    expect(text).toMatch(/^## Harbour traffic\n\nContainer volumes rose/);
    expect(text).toContain("- Rotterdam up 4%\n- Hamburg flat");
    expect(text).not.toMatch(/secret|p\{\}|About/);
  });

  it("reads fragments and tables, and names an untitled page after its address", async () => {
    expect((await readableHtml("<p>tiny</p><script>x()</script>")).text).toBe("tiny");
    expect((await readableHtml("<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>")).text).toBe("a | b |\n1 | 2 |");
    expect((await readableHtml("<p>x</p>", { url: "https://example.org/docs/page" })).title).toBe("example.org/docs/page");
  });
});

describe("pdfText", () => {
  it("extracts the text of each page of a PDF", async () => {
    const bytes = minimalPdf(["Quarterly harbour figures", "Second page text"]);
    expect(looksLikePdf(bytes)).toBe(true);
    const { text, pages } = await pdfText(bytes);
    expect(pages).toBe(2);
    expect(text).toBe("Quarterly harbour figures\n\nSecond page text");
  });

  it("rejects a file that only claims to be a PDF with a typed error", async () => {
    const bytes = new TextEncoder().encode("%PDF-1.4 but not really");
    await expect(pdfText(bytes)).rejects.toBeInstanceOf(UnreadablePdfError);
    expect(looksLikePdf(new TextEncoder().encode("hello"))).toBe(false);
  });
});
