"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from "recharts";
import { formatCost } from "@/components/ui/format";
import type { CostScorePoint, ScoreBin } from "./eval-chart-data";

/**
 * Evals' two charts (recharts draws in the browser): case scores as a histogram, and each case's
 * cost against its score as a scatter — for one experiment, or two side by side on the compare
 * page. Styled like the Overview's charts (theme variables, so dark mode reads), each an image
 * labelled by its summary sentence; the numbers are in a hidden NumbersTable next to it.
 */

export interface ChartSeries {
  key: string;
  name: string;
  colour: string;
}

const axis = { fontSize: 11, fill: "var(--color-slate-600)" };
const grid = "var(--color-slate-200)";
const tooltipStyle = {
  contentStyle: { background: "var(--color-white)", borderColor: "var(--color-slate-200)", color: "var(--color-slate-900)", fontSize: 12 },
  itemStyle: { color: "var(--color-slate-800)" },
  labelStyle: { color: "var(--color-slate-900)" },
};

export function ScoreHistogramChart({
  bins,
  series,
  summary,
}: {
  bins: ReadonlyArray<ScoreBin>;
  series: readonly ChartSeries[];
  summary: string;
}) {
  return (
    <div role="img" aria-label={summary} className="h-56 w-full min-w-0">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={[...bins]} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke={grid} vertical={false} />
          <XAxis dataKey="label" tick={axis} interval="preserveStartEnd" />
          <YAxis allowDecimals={false} tick={axis} width={32} />
          <Tooltip {...tooltipStyle} cursor={{ fill: "var(--color-slate-100)" }} />
          {series.length > 1 ? <Legend wrapperStyle={{ fontSize: 12 }} /> : null}
          {series.map((one) => (
            <Bar key={one.key} dataKey={one.key} name={one.name} fill={one.colour} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function CostScoreChart({
  series,
  summary,
}: {
  series: ReadonlyArray<ChartSeries & { points: readonly CostScorePoint[] }>;
  summary: string;
}) {
  return (
    <div role="img" aria-label={summary} className="h-56 w-full min-w-0">
      <ResponsiveContainer width="100%" height="100%">
        <ScatterChart margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke={grid} />
          <XAxis
            type="number"
            dataKey="costUsd"
            name="Cost"
            // All $0 (the offline model, cache hits): a cent-wide axis, not recharts' default 0–4 for an empty range.
            domain={[0, (dataMax: number) => (dataMax > 0 ? dataMax : 0.01)]}
            tickFormatter={(value: number) => formatCost(value)}
            tick={axis}
          />
          <YAxis type="number" dataKey="score" name="Score" domain={[0, 1]} tick={axis} width={36} />
          <Tooltip
            {...tooltipStyle}
            formatter={(value, name) => (name === "Cost" ? formatCost(Number(value)) : Number(value).toFixed(2))}
          />
          {series.length > 1 ? <Legend wrapperStyle={{ fontSize: 12 }} /> : null}
          {series.map((one) => (
            <Scatter key={one.key} name={one.name} data={[...one.points]} fill={one.colour} isAnimationActive={false} />
          ))}
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}
