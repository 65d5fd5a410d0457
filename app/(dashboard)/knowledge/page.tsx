import type { Metadata } from "next";
import Link from "next/link";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { getEnv } from "@/server/env";
import { AppError } from "@/server/errors";
import { listKnowledgeDocuments } from "@/server/knowledge/documents";
import { searchKnowledgeFor } from "@/server/knowledge/search";
import { DocumentList } from "@/components/knowledge/document-list";
import { SearchResults } from "@/components/knowledge/search-results";
import { UploadForm } from "@/components/knowledge/upload-form";

export const metadata: Metadata = { title: "Knowledge" };
export const dynamic = "force-dynamic";

const PAGE_SIZE = 50;

export default async function KnowledgePage({
  searchParams,
}: {
  searchParams: Promise<{ q?: string | string[]; offset?: string | string[] }>;
}) {
  const caller = await dashboardCaller();
  const params = await searchParams;
  const query = typeof params.q === "string" ? params.q.trim() : "";
  const offset = Math.max(0, Math.floor(Number(typeof params.offset === "string" ? params.offset : 0)) || 0);
  const canWrite = can(caller.role, "write");
  const [list, search] = await Promise.all([
    listKnowledgeDocuments(caller, { limit: PAGE_SIZE, offset }),
    query
      ? searchKnowledgeFor(caller, { q: query, limit: 10 }).catch((error: unknown) => {
          if (error instanceof AppError && error.code === "bad_request") return { query, results: [], invalid: error.message };
          throw error;
        })
      : undefined,
  ]);

  return (
    <div className="space-y-8">
      <section aria-labelledby="knowledge-search-heading" className="space-y-3">
        <h1 id="knowledge-search-heading" className="text-lg font-semibold">
          Knowledge base
        </h1>
        <p className="text-sm text-slate-600">
          Documents your team shares with its agents: the research agent searches them and cites what it uses.
        </p>
        <form role="search" action="/knowledge" className="flex flex-wrap gap-2">
          <label htmlFor="knowledge-query" className="sr-only">
            Search the knowledge base
          </label>
          <input
            id="knowledge-query"
            name="q"
            type="search"
            defaultValue={query}
            maxLength={500}
            placeholder='Search: words, "a phrase", -excluded'
            className="min-w-0 flex-1 rounded-md border border-slate-300 px-3 py-2 text-sm focus:outline-none focus:ring-2 focus:ring-indigo-500"
          />
          <button
            type="submit"
            className="rounded-md bg-indigo-700 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2"
          >
            Search
          </button>
        </form>
        {search ? (
          "invalid" in search ? (
            <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
              {search.invalid}
            </p>
          ) : (
            <SearchResults query={query} results={search.results} />
          )
        ) : null}
      </section>

      {canWrite ? (
        <section aria-labelledby="knowledge-upload-heading" className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
          <h2 id="knowledge-upload-heading" className="mb-3 text-base font-semibold">
            Add a document
          </h2>
          <UploadForm maxBytes={getEnv().CHORUS_KNOWLEDGE_MAX_UPLOAD_BYTES} />
        </section>
      ) : (
        <p className="rounded-md bg-slate-100 px-4 py-3 text-sm text-slate-700">
          Your role ({caller.role}) can search and read the knowledge base but not add to it.
        </p>
      )}

      <section aria-labelledby="knowledge-documents-heading">
        <h2 id="knowledge-documents-heading" className="mb-3 text-base font-semibold">
          Documents <span className="font-normal text-slate-500">({list.total})</span>
        </h2>
        <DocumentList documents={list.documents} canWrite={canWrite} />
        {list.total > PAGE_SIZE ? (
          <nav aria-label="Document pages" className="mt-3 flex gap-4 text-sm">
            {offset > 0 ? (
              <Link href={`/knowledge?offset=${Math.max(0, offset - PAGE_SIZE)}`} className="text-indigo-700 hover:underline">
                ← Newer
              </Link>
            ) : null}
            {offset + PAGE_SIZE < list.total ? (
              <Link href={`/knowledge?offset=${offset + PAGE_SIZE}`} className="text-indigo-700 hover:underline">
                Older →
              </Link>
            ) : null}
          </nav>
        ) : null}
      </section>
    </div>
  );
}
