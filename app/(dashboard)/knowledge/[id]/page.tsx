import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { AppError } from "@/server/errors";
import { getKnowledgeDocument } from "@/server/knowledge/documents";
import { DeleteDocumentButton } from "@/components/knowledge/delete-document-button";
import { formatBytes } from "@/components/ui/format";
import { Markdown } from "@/components/ui/markdown";

export const metadata: Metadata = { title: "Document" };
export const dynamic = "force-dynamic";

export default async function KnowledgeDocumentPage({ params }: { params: Promise<{ id: string }> }) {
  const caller = await dashboardCaller();
  const { id } = await params;
  const document = await getKnowledgeDocument(caller, id).catch((error: unknown) => {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  });
  return (
    <article className="space-y-4" aria-labelledby="document-title">
      <Link href="/knowledge" className="text-sm text-indigo-700 hover:underline">
        ← Knowledge base
      </Link>
      <header className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h1 id="document-title" className="text-xl font-semibold">
            {document.title}
          </h1>
          <p className="mt-1 text-sm text-slate-600">
            {[
              document.fileName,
              document.contentType,
              formatBytes(document.sizeBytes),
              `${document.chunkCount} passages`,
              `indexed in ${document.language}`,
              `added ${document.createdAt.toISOString().slice(0, 10)}`,
              document.sample ? "sample document" : null,
            ]
              .filter(Boolean)
              .join(" · ")}
          </p>
        </div>
        {can(caller.role, "write") ? <DeleteDocumentButton id={document.id} title={document.title} redirectTo="/knowledge" /> : null}
      </header>
      <section aria-label="Document text" className="rounded-xl border border-slate-200 bg-white p-5 text-sm leading-relaxed shadow-sm">
        {document.contentType === "text/markdown" ? (
          <Markdown source={document.text} />
        ) : (
          <div className="whitespace-pre-wrap">{document.text}</div>
        )}
      </section>
    </article>
  );
}
