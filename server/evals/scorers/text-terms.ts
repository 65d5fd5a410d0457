/**
 * Plain text reading shared by the lexical scorers (contains, the offline judge, lexical
 * similarity): case- and whitespace-insensitive comparison, and word stems — Unicode letters and
 * digits, lower-cased, with common English endings trimmed — so "scores", "scoring" and "scored"
 * count as one term. Deterministic; no model, no locale.
 */

/** Lower-cased, Unicode-normalised (NFKC), every run of whitespace one space, trimmed. */
export function normaliseText(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/gu, " ").trim();
}

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** Too common to say whether a criterion or an answer is covered. */
const STOP_WORDS = new Set(
  `a an the and or but nor of to in on at by for from with into onto over under about as is are was were be been being
  it its this that these those there here than then so if not no do does did has have had can could should would will
  shall may might must which who whom whose what when where why how all any each every some such very just also only
  our your their his her my we you they he she i me us them`.split(/\s+/),
);

export function stem(word: string): string {
  return word.replace(/(?:ations|ation|ings|ing|ers|er|edly|ed|ies|es|s|ly)$/u, (suffix) =>
    word.length - suffix.length >= 3 ? (suffix === "ies" ? "y" : "") : suffix,
  );
}

/** The content words of a text as stems, in order, repeats kept. */
export function termsOf(text: string): string[] {
  const terms: string[] = [];
  for (const match of text.normalize("NFKC").toLowerCase().matchAll(WORD)) {
    const word = match[0].replace(/['’]s$/u, "");
    if (STOP_WORDS.has(word)) continue;
    terms.push(stem(word));
  }
  return terms;
}

/** How often each term occurs. */
export function termCounts(terms: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
  return counts;
}
