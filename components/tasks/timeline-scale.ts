/**
 * The task timeline's time axis (pure, so it is unit-tested): every attempt's bar is placed on one
 * shared scale from the earliest start to the latest end, a running attempt ending "now" — so a
 * running bar grows as the page's one clock ticks — with round-numbered ticks (1 s, 5 s, 1 min…).
 */

export interface TimelineAttempt {
  stepId: string;
  attempt: number;
  status: string;
  startedAt: string;
  /** Null while the attempt runs. */
  completedAt: string | null;
}

export interface PlacedBar<T extends TimelineAttempt = TimelineAttempt> {
  attempt: T;
  /** Offsets on the axis, as percentages of its width. */
  leftPercent: number;
  widthPercent: number;
  durationMs: number;
  running: boolean;
}

export interface TimelineScale<T extends TimelineAttempt = TimelineAttempt> {
  startMs: number;
  spanMs: number;
  bars: Array<PlacedBar<T>>;
  ticks: Array<{ atPercent: number; label: string }>;
}

const TICK_STEPS_MS = [
  100, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
];
const MAX_TICKS = 6;

/** "850 ms", "4.2 s", "3 min 05 s": a duration as the axis and the bars' labels say it. */
export function formatSpan(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${String(seconds).padStart(2, "0")} s`;
}

/** The axis for `attempts` (those without a start are not drawn), with running ones ending at `nowMs`. */
export function timelineScale<T extends TimelineAttempt>(attempts: readonly T[], nowMs: number): TimelineScale<T> {
  const timed = attempts.flatMap((attempt) => {
    const start = Date.parse(attempt.startedAt);
    if (!Number.isFinite(start)) return [];
    const running = attempt.completedAt === null;
    const parsedEnd = running ? nowMs : Date.parse(attempt.completedAt!);
    // A clock that lags the server's, or an end before its start, still draws a bar from its start.
    const end = Number.isFinite(parsedEnd) ? Math.max(start, parsedEnd) : start;
    return [{ attempt, start, end, running }];
  });
  if (timed.length === 0) return { startMs: nowMs, spanMs: 0, bars: [], ticks: [] };

  const startMs = Math.min(...timed.map((bar) => bar.start));
  const endMs = Math.max(...timed.map((bar) => bar.end));
  // A zero span (one instant) would divide by zero: give the axis at least a tenth of a second.
  const spanMs = Math.max(endMs - startMs, 100);
  const percent = (ms: number) => (ms / spanMs) * 100;

  const tickStep = TICK_STEPS_MS.find((step) => spanMs / step <= MAX_TICKS) ?? Math.ceil(spanMs / MAX_TICKS / 3_600_000) * 3_600_000;
  const ticks: Array<{ atPercent: number; label: string }> = [];
  for (let at = 0; at <= spanMs; at += tickStep) ticks.push({ atPercent: percent(at), label: at === 0 ? "0" : formatSpan(at) });

  return {
    startMs,
    spanMs,
    bars: timed.map(({ attempt, start, end, running }) => ({
      attempt,
      leftPercent: percent(start - startMs),
      widthPercent: percent(end - start),
      durationMs: end - start,
      running,
    })),
    ticks,
  };
}
