"use client";

import type { StepAttempt } from "./step-attempts";
import { formatSpan, timelineScale } from "./timeline-scale";
import { usePageClock } from "./use-page-clock";

/**
 * The task's timeline (a waterfall): one bar per attempt of each step, from its start to its end
 * on a shared time axis (timeline-scale.ts). A running attempt ends at the page clock's now, so it
 * grows while the page watches; failed and cancelled attempts keep their bars. Each row also says
 * in words what its bar shows, for screen readers and for anyone who wants the numbers.
 */

const fills: Record<string, string> = {
  completed: "bg-green-500",
  running: "bg-blue-500 animate-pulse",
  awaiting_approval: "bg-amber-500",
  failed: "bg-red-500",
  cancelled: "bg-slate-400",
};

export function TaskTimeline({ attempts }: { attempts: readonly StepAttempt[] }) {
  const nowMs = usePageClock(attempts.some((attempt) => attempt.startedAt !== null && attempt.completedAt === null));
  const started = attempts.filter((attempt): attempt is StepAttempt & { startedAt: string } => attempt.startedAt !== null);
  // Before the page has a clock (its first render, on the server too), a running bar ends at the latest known instant.
  const latestKnown = Math.max(
    0,
    ...started.flatMap((attempt) => [Date.parse(attempt.startedAt), Date.parse(attempt.completedAt ?? "") || 0]),
  );
  const scale = timelineScale(started, nowMs ?? latestKnown);
  if (scale.bars.length === 0) return null;
  const retried = new Set(started.filter((attempt) => attempt.attempt > 1).map((attempt) => attempt.stepId));

  return (
    <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="timeline">
      <div className="grid grid-cols-[minmax(6rem,9rem)_1fr] gap-x-3 text-xs">
        {/* The labels' column: an empty cell, so the ticks sit over the bars. */}
        <span aria-hidden="true" />
        <div aria-hidden="true" className="relative mb-1 h-4 text-slate-500">
          {scale.ticks.map((tick) => (
            <span
              key={tick.atPercent}
              className="absolute -translate-x-1/2 tabular-nums first:translate-x-0 last:-translate-x-full"
              style={{ left: `${tick.atPercent}%` }}
            >
              {tick.label}
            </span>
          ))}
        </div>
      </div>
      <ol aria-label="Timeline: each attempt's start and duration from the task's first start" className="space-y-1.5">
        {scale.bars.map((bar) => {
          const attempt = bar.attempt;
          const label = retried.has(attempt.stepId) || attempt.attempt > 1 ? `${attempt.stepId} · #${attempt.attempt}` : attempt.stepId;
          const offset = Date.parse(attempt.startedAt) - scale.startMs;
          const words = `${attempt.stepId}, attempt ${attempt.attempt}: ${attempt.status.replaceAll("_", " ")}, started at +${formatSpan(offset)}, ${bar.running ? "running for" : "took"} ${formatSpan(bar.durationMs)}`;
          return (
            <li
              key={attempt.key}
              className="grid grid-cols-[minmax(6rem,9rem)_1fr] items-center gap-x-3 text-xs"
              data-testid={`timeline-bar-${attempt.stepId}-${attempt.attempt}`}
              data-status={attempt.status}
              data-duration-ms={Math.round(bar.durationMs)}
            >
              <a href={`#step-${attempt.stepId}`} className="truncate text-slate-700 hover:underline" title={words}>
                <span aria-hidden="true">{label}</span>
                <span className="sr-only">{words}</span>
              </a>
              <div className="relative h-5 rounded bg-slate-100" aria-hidden="true">
                <div
                  className={`absolute inset-y-0 min-w-[3px] rounded ${fills[attempt.status] ?? "bg-slate-400"}`}
                  style={{ left: `${bar.leftPercent}%`, width: `${bar.widthPercent}%` }}
                  title={words}
                />
                <span
                  className="absolute inset-y-0 flex items-center px-1 tabular-nums text-slate-700"
                  style={
                    bar.leftPercent + bar.widthPercent > 70
                      ? { right: `${100 - bar.leftPercent}%` }
                      : { left: `${bar.leftPercent + bar.widthPercent}%` }
                  }
                >
                  {formatSpan(bar.durationMs)}
                </span>
              </div>
            </li>
          );
        })}
      </ol>
      <p className="mt-2 text-xs text-slate-500">
        <span className="mr-3 inline-flex items-center gap-1">
          <span className="h-2 w-3 rounded bg-green-500" aria-hidden="true" /> completed
        </span>
        <span className="mr-3 inline-flex items-center gap-1">
          <span className="h-2 w-3 rounded bg-blue-500" aria-hidden="true" /> running
        </span>
        <span className="mr-3 inline-flex items-center gap-1">
          <span className="h-2 w-3 rounded bg-red-500" aria-hidden="true" /> failed
        </span>
        <span className="inline-flex items-center gap-1">
          <span className="h-2 w-3 rounded bg-slate-400" aria-hidden="true" /> cancelled
        </span>
      </p>
    </div>
  );
}
