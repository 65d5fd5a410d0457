import { diffWords } from "diff";

/**
 * Two outputs of one case (baseline a, candidate b) diffed word by word (jsdiff's diffWords), as
 * segments the compare page renders: kept text plain, words only in b inside <ins>, words only
 * in a inside <del>. Pure, so the page and its tests see the same segments. Very long outputs are
 * cut first: a word diff is quadratic in the worst case and a page should not freeze on one case.
 */

export const MAX_DIFFED_CHARS = 20_000;

export type DiffSegment = { kind: "same" | "added" | "removed"; text: string };

export function outputDiff(a: string | null, b: string | null): { segments: DiffSegment[]; cut: boolean } {
  const before = a ?? "";
  const after = b ?? "";
  const cut = before.length > MAX_DIFFED_CHARS || after.length > MAX_DIFFED_CHARS;
  const changes = diffWords(before.slice(0, MAX_DIFFED_CHARS), after.slice(0, MAX_DIFFED_CHARS));
  const segments: DiffSegment[] = changes
    .filter((change) => change.value.length > 0)
    .map((change) => ({ kind: change.added ? "added" : change.removed ? "removed" : "same", text: change.value }));
  return { segments, cut };
}

/** "12 words added, 3 removed" — said before the diff so a screen-reader user knows what follows. */
export function diffSummary(segments: readonly DiffSegment[]): string {
  const words = (kind: DiffSegment["kind"]) =>
    segments.filter((segment) => segment.kind === kind).reduce((sum, segment) => sum + (segment.text.match(/\S+/g)?.length ?? 0), 0);
  const added = words("added");
  const removed = words("removed");
  if (added === 0 && removed === 0) return "The two outputs are the same.";
  return `${added} ${added === 1 ? "word" : "words"} added, ${removed} removed.`;
}
