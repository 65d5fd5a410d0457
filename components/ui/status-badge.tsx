const styles: Record<string, string> = {
  queued: "bg-slate-100 text-slate-700",
  running: "bg-blue-100 text-blue-800",
  awaiting_approval: "bg-amber-100 text-amber-800",
  completed: "bg-green-100 text-green-800",
  failed: "bg-red-100 text-red-800",
  cancelled: "bg-slate-200 text-slate-600",
  budget_exceeded: "bg-orange-100 text-orange-800",
  reused: "bg-green-50 text-green-700",
  succeeded: "bg-green-100 text-green-800",
  refused: "bg-amber-100 text-amber-800",
  approved: "bg-green-50 text-green-700",
  denied: "bg-slate-200 text-slate-600",
  "not run": "bg-slate-50 text-slate-500",
  // An eval case's result (server/evals/eval-schemas.ts resultStatuses).
  pending: "bg-slate-100 text-slate-700",
  passed: "bg-green-100 text-green-800",
  error: "bg-red-100 text-red-800",
  skipped: "bg-slate-200 text-slate-600",
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <span
      data-status={status}
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ${styles[status] ?? styles.queued}`}
    >
      {status === "running" ? <span aria-hidden className="mr-1 h-1.5 w-1.5 animate-pulse rounded-full bg-current" /> : null}
      {status.replaceAll("_", " ")}
    </span>
  );
}
