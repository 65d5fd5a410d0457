import type { RunEvent } from "@/server/db/queries/run-events";
import { followTaskEvents } from "./event-stream";

/**
 * A task's run events as an async iterable, for code that reads progress in a loop (the
 * OpenAI-compatible endpoint and the MCP server): the log after `afterSeq`, then live events,
 * ending after the terminal event or when `signal` aborts. Built on followTaskEvents, so it
 * shares the SSE stream's ordering, catch-up and cross-process behaviour.
 */
export async function* taskEventFeed(taskId: string, afterSeq: number, signal: AbortSignal): AsyncGenerator<RunEvent> {
  const queued: RunEvent[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const nudge = () => {
    wake?.();
    wake = undefined;
  };
  const stop = followTaskEvents(taskId, afterSeq, signal, {
    event: (event) => {
      queued.push(event);
      nudge();
    },
    end: () => {
      ended = true;
      nudge();
    },
  });
  try {
    for (;;) {
      while (queued.length > 0) yield queued.shift()!;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stop();
  }
}
