/** Shown while the knowledge base page reads its documents (and runs a search). */
export default function KnowledgeLoading() {
  return (
    <p role="status" className="text-sm text-slate-500">
      Loading the knowledge base…
    </p>
  );
}
