import type { Source } from "@/server/agents/types";

/** Sources: found in text, deduplicated, and rendered as the one Sources section of a result. */

const URL_PATTERN = /https?:\/\/[^\s<>()"'`\]]+/g;

/** Every http(s) URL in a text, as a source titled by its host and path. */
export function sourcesFromText(text: string): Source[] {
  const sources: Source[] = [];
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(/[.,;:!?]+$/, "");
    try {
      const parsed = new URL(url);
      const path = parsed.pathname === "/" ? "" : parsed.pathname.replace(/\/$/, "");
      sources.push({ title: `${parsed.hostname.replace(/^www\./, "")}${path}`, url });
    } catch {
      // Not a URL after all ("http://" alone); skip it.
    }
  }
  return dedupeSources(sources);
}

/**
 * One entry per source. URLs match ignoring scheme, "www.", a trailing slash, the fragment and
 * tracking parameters; sources without a URL match by title. The first title seen is kept.
 */
export function dedupeSources(sources: readonly Source[]): Source[] {
  const seen = new Set<string>();
  const unique: Source[] = [];
  for (const source of sources) {
    const key = source.url ? `url:${normalizeUrl(source.url)}` : `title:${source.title.trim().toLowerCase()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(source);
  }
  return unique;
}

function normalizeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    for (const key of [...parsed.searchParams.keys()]) if (/^(utm_|fbclid$|gclid$|ref$)/.test(key)) parsed.searchParams.delete(key);
    const query = parsed.searchParams.toString();
    return `${parsed.hostname.replace(/^www\./, "").toLowerCase()}${parsed.pathname.replace(/\/$/, "")}${query ? `?${query}` : ""}`;
  } catch {
    return url.trim().toLowerCase();
  }
}

export function renderSourcesSection(sources: readonly Source[]): string {
  const lines = sources.map((source, index) => {
    const title = source.title.replace(/[[\]]/g, "");
    return source.url ? `${index + 1}. [${title}](${source.url})` : `${index + 1}. ${title}`;
  });
  return `## Sources\n\n${lines.join("\n")}`;
}

/** Removes a trailing "Sources"/"References" section, so a merged document has only one. */
export function stripSourcesSection(markdown: string): string {
  return markdown.replace(/\n#{1,3}\s*(?:sources|references)\s*\n[\s\S]*$/i, "").trimEnd();
}
