import type { ReactNode } from "react";

/** A labelled number, the box evals' pages show their figures in (their charts sit in components/ui/chart-card.tsx). */

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
