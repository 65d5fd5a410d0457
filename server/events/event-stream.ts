import type { RunEvent } from "@/server/db/queries/run-events";
import { countSlowStreamDropped } from "@/server/observability/metrics";
import { HEARTBEAT_BYTES, watchTaskEvents } from "./task-event-hub";

/** The stream's last message once the task has finished: `event: end`, no id (it is not a run event). */
const STREAM_END_BYTES = new TextEncoder().encode(`event: end\ndata: {}\n\n`);

/**
 * A task's progress as Server-Sent Events: first everything after `afterSeq` from the log,
 * then live events as they are appended, in order and without repeats (`id:` is the seq, so
 * a reconnecting EventSource resumes with Last-Event-ID). Ends after the task's terminal
 * event. Every stream of a task shares its hub (task-event-hub.ts): one subscription, one read
 * and one serialization per event for all of them, and heartbeats from one process-wide timer.
 *
 * A client that stops reading is dropped instead of buffered without limit: once more than
 * `maxUnsentBytes` wait in its queue (the HTTP layer takes bytes only as fast as the socket
 * drains), the stream ends with an error, and the client reconnects with Last-Event-ID and
 * resumes exactly where its last complete event left it.
 */
export const DEFAULT_MAX_UNSENT_BYTES = 4 * 1024 * 1024;

const encoder = new TextEncoder();

export class SlowClientError extends Error {
  constructor() {
    super("The client fell too far behind the stream; reconnect with Last-Event-ID to resume");
  }
}

export function taskEventStream(taskId: string, afterSeq: number, signal: AbortSignal, options: { maxUnsentBytes?: number } = {}) {
  const maxUnsentBytes = options.maxUnsentBytes ?? DEFAULT_MAX_UNSENT_BYTES;
  let stop: (() => void) | undefined;
  let open = true;
  // A small high-water mark: desiredSize then says how many bytes the client has not taken.
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const write = (bytes: Uint8Array) => {
          if (!open) return;
          controller.enqueue(bytes);
          if ((controller.desiredSize ?? 0) < -maxUnsentBytes) {
            open = false;
            countSlowStreamDropped();
            // Erroring drops the queued bytes at once; the HTTP layer ends the response after what the socket already holds.
            controller.error(new SlowClientError());
            stop?.();
          }
        };
        controller.enqueue(encoder.encode(`retry: 2000\n: connected\n\n`));
        const end = () => {
          if (!open) return;
          open = false;
          try {
            controller.close();
          } catch {
            /* already closed by the client */
          }
        };
        stop = watchTaskEvents(taskId, afterSeq, {
          deliver: (batch, fromIndex) => {
            if (fromIndex === 0) write(batch.bytes());
            else for (let index = fromIndex; index < batch.events.length; index += 1) write(batch.eventBytes(index));
          },
          heartbeat: () => write(HEARTBEAT_BYTES),
          end: (reason) => {
            // The task is over: say so, so that an EventSource closes instead of reconnecting (it
            // also hears the terminal event, but not when it resumed after it or retention pruned it).
            if (reason === "finished") write(STREAM_END_BYTES);
            end();
          },
        });
        if (signal.aborted) stop();
        else signal.addEventListener("abort", () => stop?.(), { once: true });
      },
      cancel() {
        open = false;
        stop?.();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 16 * 1024 }),
  );
}

export interface TaskEventHandlers {
  /** Each event after `afterSeq`, once, in order. */
  event(event: RunEvent): void;
  /** On the process-wide heartbeat while the follower is open. */
  heartbeat?(): void;
  /** After the terminal event, on abort, or when the log cannot be read; called once. */
  end(): void;
}

/**
 * The engine under taskEventStream, for anything that follows a task (the OpenAI-compatible
 * endpoint, the MCP server's tools): replays the log after `afterSeq`, then hands over live
 * events in order and without repeats until the terminal one, through the task's hub. Returns
 * the function that stops it.
 *
 * A step that starts again (a retry, or a resume after a crash or takeover) is announced by
 * `agent.restarted` before its `agent.started`: a consumer that accumulates a step's
 * `agent.delta` text must drop what it had for that step then (see docs/api.md).
 */
export function followTaskEvents(taskId: string, afterSeq: number, signal: AbortSignal, handlers: TaskEventHandlers): () => void {
  const stop = watchTaskEvents(taskId, afterSeq, {
    deliver: (batch, fromIndex) => {
      for (let index = fromIndex; index < batch.events.length; index += 1) handlers.event(batch.events[index]!);
    },
    heartbeat: () => handlers.heartbeat?.(),
    end: () => {
      signal.removeEventListener("abort", stop);
      handlers.end();
    },
  });
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
  return stop;
}
