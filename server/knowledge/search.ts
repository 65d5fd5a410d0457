import { requirePermission, type Caller } from "@/server/auth/caller";
import { searchKnowledgeChunks } from "@/server/db/queries/knowledge";
import { cutText } from "@/server/text/cut-text";
import { parseInput } from "@/server/validation";
import { searchKnowledgeInput } from "./knowledge-schemas";

/**
 * Search over a team's knowledge base: Postgres full-text search, ranked with `ts_rank_cd`, with
 * a small boost for documents whose title resembles the query (pg_trgm), and a `ts_headline`
 * snippet per hit (server/db/queries/knowledge.ts has the statement). `searchKnowledge` is what
 * the `search_knowledge` agent tool calls, for the team its task belongs to; `searchKnowledgeFor`
 * is the API's, for a caller.
 *
 * Vector search is not here: it needs the pgvector extension, which the embedded Postgres lacks,
 * and an embedding model. The seam for it is this function: a second ranking (chunks by
 * embedding distance) fused with this one (reciprocal rank fusion) would return the same hits.
 */

export interface KnowledgeSearchHit {
  documentId: string;
  documentTitle: string;
  chunkIndex: number;
  /** The passage around the matches, at most ~2 × 30 words, matches marked with <b>…</b>. */
  snippet: string;
  /** Higher is better; comparable within one search only. */
  score: number;
}

export const MAX_SEARCH_LIMIT = 50;
const MAX_QUERY_LENGTH = 500;
/** At most this is added for a title that resembles the query: enough to order equal passages, not to outrank a better one. */
const TITLE_BOOST = 0.1;
const SNIPPET_WORDS = 30;
/**
 * How many matching passages are ranked at most. Ranking costs ≈ 15 µs per match; a word found in
 * a fifth of 100,000 passages would cost ≈ 300 ms per search and grow with the corpus. Past this
 * many matches the query is unspecific, and the best of the first MAX_RANKED_CANDIDATES the
 * index yields is what it gets (docs/knowledge-base.md, docs/benchmarks.md).
 */
export const MAX_RANKED_CANDIDATES = 1000;
/** What websearch_to_tsquery turns into a phrase (word-position) operator: quotes, and words joined by hyphens. */
const MAY_HOLD_PHRASE = /"|\S-\S/;

/**
 * The team's passages that best match `query` (web-search syntax: words, "a phrase", -excluded,
 * or), best first, at most `limit` (1–50). A query with no searchable words (empty, only stop
 * words or punctuation) finds nothing rather than failing. `signal` stops waiting for it.
 */
export async function searchKnowledge(
  teamId: string,
  query: string,
  options: { limit?: number; signal?: AbortSignal } = {},
): Promise<KnowledgeSearchHit[]> {
  options.signal?.throwIfAborted();
  const text = cutText(storable(query), MAX_QUERY_LENGTH).trim();
  if (!text) return [];
  const limit = Math.min(MAX_SEARCH_LIMIT, Math.max(1, Math.floor(options.limit ?? 10)));
  const search = (relaxPhrases: boolean) =>
    searchKnowledgeChunks(teamId, text, {
      limit,
      titleBoost: TITLE_BOOST,
      snippetWords: SNIPPET_WORDS,
      maxCandidates: MAX_RANKED_CANDIDATES,
      relaxPhrases,
    });
  let hits = await search(true);
  // Phrases ("…", or hyphenated words) are first looked for among the first MAX_RANKED_CANDIDATES
  // passages holding their words; only when that finds fewer than `limit` is every such passage checked.
  if (hits.length < limit && MAY_HOLD_PHRASE.test(text)) {
    options.signal?.throwIfAborted();
    hits = await search(false);
  }
  options.signal?.throwIfAborted();
  return hits;
}

/** Search for an API caller (read permission), the query validated: `{ q, limit? }`. */
export async function searchKnowledgeFor(caller: Caller, raw: unknown): Promise<{ query: string; results: KnowledgeSearchHit[] }> {
  requirePermission(caller, "read");
  const input = parseInput(searchKnowledgeInput, raw);
  return { query: input.q, results: await searchKnowledge(caller.teamId, input.q, { limit: input.limit }) };
}

/** What Postgres can take as text: no NULs, no lone surrogates (an agent's query is not validated like API input). */
function storable(text: string): string {
  return text.replaceAll("\u0000", " ").replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "");
}
