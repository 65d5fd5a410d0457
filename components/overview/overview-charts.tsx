"use client";

import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { TeamOverview } from "@/server/teams/team-overview";
import { formatSpan } from "@/components/tasks/timeline-scale";

/**
 * The Overview page's charts (recharts draws in the browser, hence a client component). Colours
 * are the theme's CSS variables (app/globals.css), which dark mode swaps, so axes, grid and
 * tooltips read in both themes. Each chart is an image with a one-sentence summary as its label,
 * and its numbers are in a visually hidden table after it, for screen readers.
 */

export const statusColours: Record<string, string> = {
  completed: "var(--color-green-500)",
  failed: "var(--color-red-500)",
  cancelled: "var(--color-slate-400)",
  budget_exceeded: "var(--color-orange-500)",
  running: "var(--color-blue-500)",
  queued: "var(--color-indigo-300)",
  awaiting_approval: "var(--color-amber-500)",
};

const axis = { fontSize: 11, fill: "var(--color-slate-600)" };
const grid = "var(--color-slate-200)";
const tooltipStyle = {
  contentStyle: { background: "var(--color-white)", borderColor: "var(--color-slate-200)", color: "var(--color-slate-900)", fontSize: 12 },
  itemStyle: { color: "var(--color-slate-800)" },
  labelStyle: { color: "var(--color-slate-900)" },
};
const shortDay = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString("en", { month: "short", day: "numeric", timeZone: "UTC" });
const label = (status: string) => status.replaceAll("_", " ");

export function TasksPerDayChart({ overview, summary }: { overview: TeamOverview; summary: string }) {
  const statuses = Object.keys(statusColours).filter((status) =>
    overview.tasksPerDay.some((day) => day[status as keyof (typeof overview.tasksPerDay)[number]] !== 0),
  );
  return (
    <div role="img" aria-label={summary} className="h-64 w-full min-w-0">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={overview.tasksPerDay} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke={grid} vertical={false} />
          <XAxis dataKey="day" tickFormatter={shortDay} tick={axis} minTickGap={16} />
          <YAxis allowDecimals={false} tick={axis} width={32} />
          <Tooltip labelFormatter={(value) => shortDay(String(value))} {...tooltipStyle} cursor={{ fill: "var(--color-slate-100)" }} />
          <Legend wrapperStyle={{ fontSize: 12 }} formatter={(value) => label(String(value))} />
          {statuses.map((status) => (
            <Bar key={status} dataKey={status} name={status} stackId="tasks" fill={statusColours[status]} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function AgentDurationChart({ overview, summary }: { overview: TeamOverview; summary: string }) {
  return (
    <div role="img" aria-label={summary} className="h-64 w-full min-w-0">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={overview.durationByAgent} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke={grid} vertical={false} />
          <XAxis dataKey="agent" tick={axis} />
          <YAxis tickFormatter={(value: number) => `${Number((value / 1000).toFixed(1))} s`} tick={axis} width={48} />
          <Tooltip formatter={(value) => formatSpan(Number(value))} {...tooltipStyle} cursor={{ fill: "var(--color-slate-100)" }} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="p50Ms" name="p50" fill="var(--color-indigo-500)" isAnimationActive={false} />
          <Bar dataKey="p95Ms" name="p95" fill="var(--color-amber-500)" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function CacheHitRateChart({ overview, summary }: { overview: TeamOverview; summary: string }) {
  const days = overview.usagePerDay.map((day) => ({
    day: day.day,
    percent: day.cacheHitRate === null ? null : Math.round(day.cacheHitRate * 1000) / 10,
  }));
  return (
    <div role="img" aria-label={summary} className="h-64 w-full min-w-0">
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={days} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke={grid} vertical={false} />
          <XAxis dataKey="day" tickFormatter={shortDay} tick={axis} minTickGap={16} />
          <YAxis domain={[0, 100]} tickFormatter={(value: number) => `${value}%`} tick={axis} width={44} />
          <Tooltip labelFormatter={(value) => shortDay(String(value))} formatter={(value) => `${Number(value)}%`} {...tooltipStyle} />
          <Line
            dataKey="percent"
            name="Answered from the cache"
            stroke="var(--color-green-500)"
            strokeWidth={2}
            connectNulls={false}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
