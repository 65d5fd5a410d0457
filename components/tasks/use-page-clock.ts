"use client";

import { useSyncExternalStore } from "react";

/**
 * The task page's one clock: the current time, ticking four times a second while anything on the
 * page shows a running attempt (a timeline bar, a duration in a step's details). However many
 * subscribe, there is one interval for the page, and only the subscribers re-render on a tick —
 * not the whole page. Null on the server and in the browser's first render, so both agree (no
 * hydration mismatch from two different "now"s), and null for a subscriber with nothing running.
 */

const TICK_MS = 250;
const listeners = new Set<() => void>();
let now: number | null = null;
let interval: ReturnType<typeof setInterval> | undefined;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (interval === undefined) {
    now = Date.now();
    interval = setInterval(() => {
      now = Date.now();
      for (const notify of listeners) notify();
    }, TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && interval !== undefined) {
      clearInterval(interval);
      interval = undefined;
    }
  };
}

const stopped = () => () => undefined;
const readNow = () => now;
const readNothing = () => null;

export function usePageClock(running: boolean): number | null {
  return useSyncExternalStore(running ? subscribe : stopped, running ? readNow : readNothing, readNothing);
}
