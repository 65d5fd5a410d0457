import type { ReactNode } from "react";

/** The boxes evals' pages are laid out in: a labelled number, and a chart's card with its heading and summary sentence. */

export function Figure({ label, value, detail, testId }: { label: string; value: ReactNode; detail?: ReactNode; testId?: string }) {
  return (
    <div className="min-w-0 rounded-xl border border-slate-200 bg-white p-3 shadow-sm">
      <dt className="text-xs text-slate-600">{label}</dt>
      <dd className="break-words text-lg font-semibold tabular-nums" data-testid={testId}>
        {value}
      </dd>
      {detail ? <dd className="text-xs">{detail}</dd> : null}
    </div>
  );
}

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
