import { terminalEventTypes } from "@/server/domain/task-vocabulary";
import { onRemoteAppend } from "./remote-events";
import { readRunEvents, type RunEvent } from "@/server/db/queries/run-events";
import { onRunEvent } from "./run-events";

/**
 * A task's progress as Server-Sent Events: first everything after `afterSeq` from the log,
 * then live events as they are appended, in order and without repeats (`id:` is the seq, so
 * a reconnecting EventSource resumes with Last-Event-ID). Ends after the task's terminal
 * event. Events written by other processes are read when they announce them (remote-events.ts),
 * and a periodic re-read covers any announcement missed.
 */
export function taskEventStream(taskId: string, afterSeq: number, signal: AbortSignal, options = { pollMs: 1000, heartbeatMs: 15_000 }) {
  const encoder = new TextEncoder();
  let stop: (() => void) | undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`retry: 2000\n: connected\n\n`));
      stop = followTaskEvents(
        taskId,
        afterSeq,
        signal,
        {
          event: (event) =>
            controller.enqueue(encoder.encode(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`)),
          heartbeat: () => controller.enqueue(encoder.encode(`: heartbeat\n\n`)),
          end: () => {
            try {
              controller.close();
            } catch {
              /* already closed by the client */
            }
          },
        },
        options,
      );
    },
    cancel() {
      stop?.();
    },
  });
}

export interface TaskEventHandlers {
  /** Each event after `afterSeq`, once, in order. */
  event(event: RunEvent): void;
  /** Every `heartbeatMs` while the task is quiet and the follower open. */
  heartbeat?(): void;
  /** After the terminal event, on abort, or when the log cannot be read; called once. */
  end(): void;
}

/**
 * The engine under taskEventStream, for anything that follows a task (the OpenAI-compatible
 * endpoint, the MCP server's tools): replays the log after `afterSeq`, then hands over live
 * events in order and without repeats until the terminal one. Returns the function that stops it.
 */
export function followTaskEvents(
  taskId: string,
  afterSeq: number,
  signal: AbortSignal,
  handlers: TaskEventHandlers,
  options = { pollMs: 1000, heartbeatMs: 15_000 },
): () => void {
  let lastSeq = afterSeq;
  let closed = false;
  const cleanups: Array<() => void> = [];
  const close = () => {
    if (closed) return;
    closed = true;
    cleanups.forEach((cleanup) => cleanup());
    handlers.end();
  };
  const send = (event: RunEvent) => {
    if (closed || event.seq <= lastSeq) return;
    if (event.seq > lastSeq + 1) {
      void catchUp(); // a gap: something arrived out of order, re-read the log
      return;
    }
    lastSeq = event.seq;
    handlers.event(event);
    if (terminalEventTypes.includes(event.type)) close();
  };
  let reading: Promise<void> | undefined;
  // Asked again while a read is under way: that read may have started before the new
  // events committed, so one more follows it.
  let again = false;
  const catchUp = (): Promise<void> => {
    if (reading) {
      again = true;
      return reading;
    }
    reading = (async () => {
      try {
        do {
          again = false;
          for (;;) {
            const events = await readRunEvents(taskId, lastSeq);
            events.forEach(send);
            if (events.length < 1000 || closed) break;
          }
        } while (again && !closed);
      } finally {
        reading = undefined;
      }
    })();
    return reading;
  };

  const pending: RunEvent[] = [];
  let replaying = true;
  cleanups.push(onRunEvent(taskId, (event) => (replaying ? pending.push(event) : send(event))));
  // Appended by another process (announced over LISTEN/NOTIFY): read the log now.
  cleanups.push(onRemoteAppend(taskId, () => void catchUp().catch(() => undefined)));
  if (signal.aborted) {
    close();
    return close;
  }
  signal.addEventListener("abort", close, { once: true });
  cleanups.push(() => signal.removeEventListener("abort", close));
  void (async () => {
    try {
      await catchUp();
    } catch {
      close();
      return;
    }
    replaying = false;
    pending.forEach(send);
    if (closed) return;
    const poll = setInterval(() => void catchUp().catch(() => undefined), options.pollMs);
    const heartbeat = setInterval(() => {
      if (!closed) handlers.heartbeat?.();
    }, options.heartbeatMs);
    cleanups.push(
      () => clearInterval(poll),
      () => clearInterval(heartbeat),
    );
  })();
  return close;
}
