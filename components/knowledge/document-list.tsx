import Link from "next/link";
import { formatBytes } from "@/components/ui/format";
import type { listKnowledgeDocuments } from "@/server/knowledge/documents";
import { DeleteDocumentButton } from "./delete-document-button";

type KnowledgeDocumentSummary = Awaited<ReturnType<typeof listKnowledgeDocuments>>["documents"][number];

const TYPE_LABELS: Record<string, string> = {
  "application/pdf": "PDF",
  "text/html": "HTML",
  "text/markdown": "Markdown",
  "text/plain": "Text",
};

/** The team's documents as a table: what each is, how big, how many passages, when added. */
export function DocumentList({ documents, canWrite }: { documents: KnowledgeDocumentSummary[]; canWrite: boolean }) {
  if (documents.length === 0) {
    return (
      <p className="rounded-md border border-dashed border-slate-300 px-4 py-8 text-center text-sm text-slate-500">
        No documents yet.{canWrite ? " Upload one above: agents will search it when they research a task." : ""}
      </p>
    );
  }
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Documents in the team&apos;s knowledge base</caption>
        <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
          <tr>
            <th scope="col" className="px-4 py-2">
              Title
            </th>
            <th scope="col" className="px-4 py-2">
              Type
            </th>
            <th scope="col" className="px-4 py-2 text-right">
              Size
            </th>
            <th scope="col" className="px-4 py-2 text-right">
              Passages
            </th>
            <th scope="col" className="px-4 py-2">
              Added
            </th>
            {canWrite ? (
              <th scope="col" className="px-4 py-2">
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {documents.map((document) => (
            <tr key={document.id} data-testid="knowledge-document">
              <td className="px-4 py-2">
                <Link href={`/knowledge/${document.id}`} className="font-medium text-indigo-700 hover:underline">
                  {document.title}
                </Link>
                {document.sample ? <span className="ml-2 rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600">sample</span> : null}
                {document.fileName ? <div className="text-xs text-slate-500">{document.fileName}</div> : null}
              </td>
              <td className="px-4 py-2 text-slate-700">{TYPE_LABELS[document.contentType] ?? document.contentType}</td>
              <td className="px-4 py-2 text-right tabular-nums text-slate-700">{formatBytes(document.sizeBytes)}</td>
              <td className="px-4 py-2 text-right tabular-nums text-slate-700">{document.chunkCount}</td>
              <td className="px-4 py-2 text-slate-700">
                <time dateTime={document.createdAt.toISOString()}>{document.createdAt.toISOString().slice(0, 10)}</time>
              </td>
              {canWrite ? (
                <td className="px-4 py-2 text-right">
                  <DeleteDocumentButton id={document.id} title={document.title} />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
