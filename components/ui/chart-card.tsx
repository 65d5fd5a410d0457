import type { ReactNode } from "react";

/**
 * A chart's card: its heading (which labels the section) and its summary sentence above the
 * chart — one piece for the Overview's charts and the evals pages', so they look and read alike.
 */
export function ChartCard({ title, summary, testId, children }: { title: string; summary: string; testId: string; children: ReactNode }) {
  const headingId = `${testId}-heading`;
  return (
    <section
      aria-labelledby={headingId}
      className="min-w-0 space-y-2 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      data-testid={testId}
    >
      <h2 id={headingId} className="text-sm font-semibold text-slate-800">
        {title}
      </h2>
      <p className="text-xs text-slate-600">{summary}</p>
      {children}
    </section>
  );
}
