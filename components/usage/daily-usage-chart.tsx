"use client";

import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

/**
 * Tokens (bars) and cost (line) per day, the usage page's chart. A client component because
 * recharts measures and draws in the browser; the same numbers are in the table beside it
 * (DailyUsageTable), which is what screen readers and narrow screens get.
 */
export interface DailyUsagePoint {
  day: string;
  tokens: number;
  costUsd: number;
}

const shortDay = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString("en", { month: "short", day: "numeric", timeZone: "UTC" });
const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

export function DailyUsageChart({ days, summary }: { days: DailyUsagePoint[]; summary: string }) {
  return (
    <div role="img" aria-label={summary} className="h-64 w-full min-w-0">
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={days} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="day" tickFormatter={shortDay} tick={{ fontSize: 11 }} minTickGap={16} />
          <YAxis yAxisId="tokens" tickFormatter={(value: number) => compact.format(value)} tick={{ fontSize: 11 }} width={44} />
          <YAxis yAxisId="cost" orientation="right" tickFormatter={(value: number) => `$${value}`} tick={{ fontSize: 11 }} width={52} />
          <Tooltip
            labelFormatter={(label) => shortDay(String(label))}
            formatter={(value, name) => (name === "Cost" ? `$${Number(value).toFixed(4)}` : Number(value).toLocaleString("en"))}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar yAxisId="tokens" dataKey="tokens" name="Tokens" fill="#6366f1" radius={[2, 2, 0, 0]} isAnimationActive={false} />
          <Line yAxisId="cost" dataKey="costUsd" name="Cost" stroke="#f59e0b" strokeWidth={2} dot={false} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
