"use client";

import { useEffect, useState } from "react";

const TICK_MS = 250;

/**
 * The task page's one clock: the current time, ticking four times a second while `running` (a
 * step is running, so its timeline bar and duration grow) and still otherwise. One interval for
 * the page, not one per bar. Null until the page has mounted, so the server's render and the
 * browser's first one agree (no hydration mismatch from two different "now"s).
 */
export function usePageClock(running: boolean): number | null {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    const tick = () => setNow(Date.now());
    const first = requestAnimationFrame(tick);
    if (!running) return () => cancelAnimationFrame(first);
    const interval = setInterval(tick, TICK_MS);
    return () => {
      cancelAnimationFrame(first);
      clearInterval(interval);
    };
  }, [running]);
  return now;
}
