/**
 * HTML to the text a model (or a search index) should read: the page's main content as found by
 * Mozilla's Readability (Firefox's reader view), rendered as plain text that keeps the document's
 * shape — headings as `#` lines, list items as `- `, paragraphs apart — and drops scripts, styles,
 * navigation and markup. Pages Readability finds no article in fall back to the whole body.
 * Used by the fetch_url tool and the knowledge base's HTML uploads alike. linkedom and Readability
 * are loaded on first use: most processes never read a page, and loading them cost start-up time.
 */

export interface ReadableText {
  title: string;
  text: string;
}

const SKIPPED = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "SVG", "CANVAS", "IFRAME", "OBJECT", "HEAD"]);
const BLOCKS = new Set([
  "P",
  "DIV",
  "SECTION",
  "ARTICLE",
  "MAIN",
  "HEADER",
  "FOOTER",
  "ASIDE",
  "NAV",
  "BLOCKQUOTE",
  "PRE",
  "TABLE",
  "TR",
  "UL",
  "OL",
  "DL",
  "DT",
  "DD",
  "FIGURE",
  "FIGCAPTION",
  "FORM",
  "FIELDSET",
  "ADDRESS",
  "DETAILS",
  "SUMMARY",
  "HR",
  "BODY",
]);

export async function readableHtml(source: string, options: { url?: string } = {}): Promise<ReadableText> {
  const [{ parseHTML }, { Readability }] = await Promise.all([import("linkedom"), import("@mozilla/readability")]);
  // linkedom builds a broken tree from a fragment; give it a whole document.
  const html = /<html[\s>]/i.test(source) ? source : `<!doctype html><html><head></head><body>${source}</body></html>`;
  const { document } = parseHTML(html);
  const fallbackTitle = (document.querySelector("title")?.textContent ?? "").trim();
  let article: { title?: string | null; content?: string | null } | null = null;
  try {
    // Readability mutates the document it reads, so it gets its own parse.
    article = new Readability(parseHTML(html).document as unknown as Document, { charThreshold: 200 }).parse();
  } catch {
    article = null;
  }
  const articleText = article?.content ? renderBlocks(parseHTML(`<html><body>${article.content}</body></html>`).document.body as Node) : "";
  const text = articleText || (document.body ? renderBlocks(document.body as unknown as Node) : "");
  const title = (article?.title ?? "").trim() || fallbackTitle || titleFromUrl(options.url);
  return { title, text };
}

function renderBlocks(root: Node): string {
  const out: string[] = [];
  let line = "";
  const breakLine = (blank: boolean) => {
    const trimmed = line.replace(/[ \t]+/g, " ").trim();
    if (trimmed) out.push(trimmed);
    if (blank && out.length > 0 && out[out.length - 1] !== "") out.push("");
    line = "";
  };
  const walk = (node: Node) => {
    if (node.nodeType === 3) {
      line += (node.textContent ?? "").replace(/\s+/g, " ");
      return;
    }
    if (node.nodeType !== 1) return;
    const element = node as Element;
    const tag = element.tagName.toUpperCase();
    if (SKIPPED.has(tag) || element.getAttribute("hidden") !== null || element.getAttribute("aria-hidden") === "true") return;
    if (tag === "BR") return breakLine(false);
    const heading = /^H([1-6])$/.exec(tag);
    if (heading) {
      breakLine(true);
      line = `${"#".repeat(Number(heading[1]))} `;
      element.childNodes.forEach(walk);
      return breakLine(true);
    }
    if (tag === "LI") {
      breakLine(false);
      line = "- ";
      element.childNodes.forEach(walk);
      return breakLine(false);
    }
    if (tag === "TD" || tag === "TH") {
      element.childNodes.forEach(walk);
      line += " | ";
      return;
    }
    const block = BLOCKS.has(tag);
    if (block) breakLine(tag === "P" || tag === "BLOCKQUOTE" || tag === "PRE" || tag === "TABLE");
    element.childNodes.forEach(walk);
    if (block) breakLine(tag === "P" || tag === "BLOCKQUOTE" || tag === "PRE" || tag === "TABLE" || tag === "UL" || tag === "OL");
  };
  walk(root);
  breakLine(false);
  while (out[out.length - 1] === "") out.pop();
  return out.join("\n");
}

function titleFromUrl(url: string | undefined): string {
  if (!url) return "";
  try {
    const parsed = new URL(url);
    return parsed.hostname + (parsed.pathname === "/" ? "" : parsed.pathname);
  } catch {
    return "";
  }
}
