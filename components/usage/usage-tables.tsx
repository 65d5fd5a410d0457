import { formatCost } from "@/components/ui/format";
import type { UsageBreakdownRow, UsageOverview } from "@/server/teams/usage-overview";

/** The usage page's tables: a breakdown (per model, agent kind or member) and the per-day numbers behind the chart. */

const tokens = (value: number) => value.toLocaleString("en");

const cellClass = "px-3 py-2 text-right tabular-nums";

function UnknownPrice({ count }: { count: number }) {
  if (count === 0) return null;
  return (
    <span className="ml-1 rounded bg-amber-100 px-1.5 py-0.5 text-xs text-amber-800" title={`${count} calls without a known price`}>
      {count} unpriced
    </span>
  );
}

export function UsageBreakdown({
  title,
  keyHeading,
  rows,
  testId,
}: {
  title: string;
  keyHeading: string;
  rows: UsageBreakdownRow[];
  testId?: string;
}) {
  return (
    <section aria-label={title} className="min-w-0 space-y-2" data-testid={testId}>
      <h2 className="text-sm font-semibold text-slate-800">{title}</h2>
      {rows.length === 0 ? (
        <p className="rounded-md border border-dashed border-slate-300 px-3 py-4 text-center text-sm text-slate-500">No model calls.</p>
      ) : (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">{title}, last 30 days</caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
              <tr>
                <th scope="col" className="px-3 py-2">
                  {keyHeading}
                </th>
                <th scope="col" className={cellClass}>
                  Calls
                </th>
                <th scope="col" className={cellClass}>
                  Tokens in / out
                </th>
                <th scope="col" className={cellClass}>
                  Cache hits
                </th>
                <th scope="col" className={cellClass}>
                  Cost
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {rows.map((row) => (
                <tr key={row.key ?? "none"}>
                  <th scope="row" className="max-w-48 truncate px-3 py-2 font-normal text-slate-800" title={row.label}>
                    {row.label}
                  </th>
                  <td className={cellClass}>{tokens(row.calls)}</td>
                  <td className={cellClass}>
                    {tokens(row.inputTokens)} / {tokens(row.outputTokens)}
                  </td>
                  <td className={cellClass}>{tokens(row.cacheHits)}</td>
                  <td className={`${cellClass} whitespace-nowrap`}>
                    {formatCost(row.costUsd)}
                    <UnknownPrice count={row.unknownPriceCalls} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The chart's numbers, day by day, for screen readers and for anyone who wants the figures. */
export function DailyUsageTable({ days }: { days: UsageOverview["days"] }) {
  return (
    <details className="text-sm">
      <summary className="cursor-pointer text-slate-600 hover:text-slate-900">Show the numbers per day</summary>
      <div className="mt-2 max-h-80 overflow-auto rounded-xl border border-slate-200 bg-white">
        <table className="w-full text-left text-sm">
          <caption className="sr-only">Tokens and cost per day, last 30 days (UTC)</caption>
          <thead className="sticky top-0 border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
            <tr>
              <th scope="col" className="px-3 py-2">
                Day (UTC)
              </th>
              <th scope="col" className={cellClass}>
                Calls
              </th>
              <th scope="col" className={cellClass}>
                Tokens
              </th>
              <th scope="col" className={cellClass}>
                Cost
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {days.map((day) => (
              <tr key={day.key}>
                <th scope="row" className="px-3 py-1.5 font-normal">
                  {day.key}
                </th>
                <td className={cellClass}>{tokens(day.calls)}</td>
                <td className={cellClass}>{tokens(day.inputTokens + day.outputTokens)}</td>
                <td className={cellClass}>
                  {formatCost(day.costUsd)}
                  <UnknownPrice count={day.unknownPriceCalls} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
