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
  let lastSeq = afterSeq;
  let closed = false;
  const cleanups: Array<() => void> = [];

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const close = () => {
        if (closed) return;
        closed = true;
        cleanups.forEach((cleanup) => cleanup());
        try {
          controller.close();
        } catch {
          /* already closed by the client */
        }
      };
      const send = (event: RunEvent) => {
        if (closed || event.seq <= lastSeq) return;
        if (event.seq > lastSeq + 1) {
          void catchUp(); // a gap: something arrived out of order, re-read the log
          return;
        }
        lastSeq = event.seq;
        controller.enqueue(encoder.encode(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`));
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
      signal.addEventListener("abort", close, { once: true });
      controller.enqueue(encoder.encode(`retry: 2000\n: connected\n\n`));
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
        if (!closed) controller.enqueue(encoder.encode(`: heartbeat\n\n`));
      }, options.heartbeatMs);
      cleanups.push(
        () => clearInterval(poll),
        () => clearInterval(heartbeat),
      );
    },
    cancel() {
      closed = true;
      cleanups.forEach((cleanup) => cleanup());
    },
  });
}
