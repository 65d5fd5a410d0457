import { listMissing, type Scorer } from "./scorer";
import { normaliseText } from "./text-terms";

/**
 * Sources the result must cite. A required citation is met by a source the task recorded — the
 * same URL (scheme and host case, default port, a trailing slash and the #fragment do not
 * matter), the knowledge document's id, or its title (case-insensitive) — or by the output
 * itself linking to it: the URL anywhere in the text, or a markdown link whose text is the title.
 * The score is the fraction met.
 */
export const scoreCitations: Scorer = async ({ expected, outcome }) => {
  const required = expected.citations;
  if (!required || required.length === 0) return null;
  const sourceUrls = new Set(outcome.sources.flatMap((source) => (source.url ? [normaliseUrl(source.url)] : [])));
  const documentIds = new Set(outcome.sources.flatMap((source) => (source.documentId ? [source.documentId] : [])));
  const titles = new Set(outcome.sources.map((source) => normaliseText(source.title)));
  const outputUrls = new Set(
    [...outcome.output.matchAll(/\bhttps?:\/\/[^\s<>()"'\]]+/giu)].map((match) => normaliseUrl(trimUrl(match[0]))),
  );
  const linkTitles = new Set([...outcome.output.matchAll(/\[([^\]\n]{1,500})\]\(/gu)].map((match) => normaliseText(match[1]!)));

  const met: Record<string, "source url" | "document id" | "source title" | "linked in the output"> = {};
  const missing: string[] = [];
  for (const citation of required) {
    const asUrl = looksLikeUrl(citation) ? normaliseUrl(citation) : undefined;
    const asTitle = normaliseText(citation);
    if (asUrl && sourceUrls.has(asUrl)) met[citation] = "source url";
    else if (documentIds.has(citation.trim())) met[citation] = "document id";
    else if (titles.has(asTitle)) met[citation] = "source title";
    else if ((asUrl && outputUrls.has(asUrl)) || linkTitles.has(asTitle)) met[citation] = "linked in the output";
    else missing.push(citation);
  }
  const found = required.length - missing.length;
  return {
    scorer: "citations",
    score: found / required.length,
    explanation: `${found} of ${required.length} required sources cited${missing.length > 0 ? `; missing: ${listMissing(missing)}` : ""}`,
    details: { found, total: required.length, missing, met },
  };
};

function looksLikeUrl(text: string): boolean {
  return /^https?:\/\//i.test(text.trim());
}

/** Sentence punctuation that follows a bare URL in prose is not part of it. */
function trimUrl(url: string): string {
  return url.replace(/[.,;:!?]+$/u, "");
}

/** One spelling per address: lower-case scheme and host, no default port, no trailing slash, no fragment. */
export function normaliseUrl(raw: string): string {
  const text = raw.trim();
  try {
    const url = new URL(text);
    url.hash = "";
    const path = url.pathname.replace(/\/+$/u, "");
    return `${url.protocol}//${url.host}${path}${url.search}`;
  } catch {
    return text.toLowerCase().replace(/\/+$/u, "");
  }
}
