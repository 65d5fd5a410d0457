import Link from "next/link";
import type { KnowledgeSearchHit } from "@/server/knowledge/search";
import { HighlightedSnippet } from "./highlighted-snippet";

/** Ranked passages for a search, each linking to its document. */
export function SearchResults({ query, results }: { query: string; results: KnowledgeSearchHit[] }) {
  if (results.length === 0) {
    return (
      <p className="rounded-md border border-dashed border-slate-300 px-4 py-6 text-center text-sm text-slate-500" role="status">
        Nothing in the knowledge base matches “{query}”. Try other words: search matches words and their forms, not synonyms.
      </p>
    );
  }
  return (
    <ol className="space-y-3" aria-label={`Passages matching ${query}, best first`}>
      {results.map((hit) => (
        <li key={`${hit.documentId}-${hit.chunkIndex}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <Link href={`/knowledge/${hit.documentId}`} className="font-medium text-indigo-700 hover:underline">
            {hit.documentTitle}
          </Link>
          <span className="ml-2 text-xs text-slate-500">passage {hit.chunkIndex + 1}</span>
          <p className="mt-1 text-sm text-slate-700">
            <HighlightedSnippet snippet={hit.snippet} />
          </p>
        </li>
      ))}
    </ol>
  );
}
