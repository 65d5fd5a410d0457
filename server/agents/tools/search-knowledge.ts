import { z } from "zod";
import { defineTool } from "@/server/agents/tools/tool-spec";
import { searchKnowledge } from "@/server/knowledge/search";

/**
 * `search_knowledge`: full-text search over the documents the task's team uploaded (Postgres
 * ranking, server/knowledge/search.ts). Returns the best passages with the document they come
 * from; each document found is a source of the step, linked to its page in the dashboard.
 */

const MAX_RESULTS = 8;

export const searchKnowledgeTool = defineTool({
  name: "search_knowledge",
  description:
    'Search your team\'s knowledge base (documents members uploaded) and get the best-matching passages, each with its document title. Use web-search syntax: words, "a phrase", -excluded, or. Search here before answering from memory.',
  inputSchema: z.object({
    query: z
      .string()
      .trim()
      .min(1, "query must not be empty")
      .max(500, "query must be at most 500 characters")
      .describe("what to look for"),
    limit: z.number().int().min(1).max(MAX_RESULTS).optional().describe(`how many passages (1–${MAX_RESULTS}, default 5)`),
  }),
  timeoutMs: 10_000,
  // A search reads only: repeating it is harmless.
  retries: 1,
  untrustedOutput: true,
  async run({ query, limit }, call) {
    const hits = await searchKnowledge(call.teamId, query, { limit: limit ?? 5, signal: call.signal });
    const results = hits.map((hit, index) => ({
      ref: index + 1,
      title: hit.documentTitle,
      documentId: hit.documentId,
      passage: hit.chunkIndex + 1,
      snippet: plainSnippet(hit.snippet),
    }));
    return {
      result: results.length > 0 ? { query, results } : { query, results, note: "Nothing in the knowledge base matches; try other words." },
      excerpt: results.length > 0 ? results.map((result) => `${result.title}: ${result.snippet}`).join("\n") : "No matching passages",
      sources: dedupeDocuments(hits).map((hit) => ({ title: hit.documentTitle, url: `/knowledge/${hit.documentId}` })),
    };
  },
  classifyError(error) {
    const transient = error instanceof Error && /ECONNRESET|ETIMEDOUT|Connection terminated|too many clients/i.test(error.message);
    return transient
      ? { kind: "retryable", message: "The knowledge base did not answer; try again" }
      : { kind: "failed", message: "The knowledge base search failed" };
  },
});

/** Snippets mark matches with <b>…</b> for the dashboard; the model reads plain text. */
function plainSnippet(snippet: string): string {
  return snippet
    .replace(/<\/?b>/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

function dedupeDocuments<T extends { documentId: string }>(hits: readonly T[]): T[] {
  const seen = new Set<string>();
  return hits.filter((hit) => !seen.has(hit.documentId) && seen.add(hit.documentId));
}
