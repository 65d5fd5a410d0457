import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { HighlightedSnippet } from "@/components/knowledge/highlighted-snippet";

/**
 * Search snippets come from ts_headline, which marks matches with <b>…</b> but does not escape
 * the document's own text: an uploaded document's markup must reach the page as text.
 */
describe("a highlighted snippet", () => {
  it("marks the matches and renders the document's own markup as text", () => {
    const html = renderToStaticMarkup(
      createElement(HighlightedSnippet, { snippet: `Keepers <b>trimmed</b> wicks <img src=x onerror=alert(1)> and <b>lamps</b>` }),
    );
    expect(html).toContain(">trimmed</mark>");
    expect(html).toContain(">lamps</mark>");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });
});
