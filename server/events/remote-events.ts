import pg from "pg";
import { PROCESS_TAG } from "@/server/db/client";
import { logger } from "@/server/observability/logger";
import { processEmitter, RUN_EVENTS_CHANNEL } from "./run-events";

/**
 * Run events appended by other processes — several workers (CHORUS_WORKERS) or replicas on one
 * database. Every statement that appends to a task's log announces it with NOTIFY (see
 * APPENDED_COLUMNS); one connection per process LISTENs, and each announcement nudges that
 * task's open streams here to re-read the log at once. Announcements made by this process are
 * skipped: its streams heard those events directly. While the connection is down, streams
 * still re-read the log every second.
 */
const emitter = () => processEmitter("chorus.remote-run-events");

/** Calls `listener` when another process appends to `taskId`'s log; returns the unsubscribe. */
export function onRemoteAppend(taskId: string, listener: () => void): () => void {
  emitter().on(taskId, listener);
  return () => emitter().off(taskId, listener);
}

/** `<taskId> <application_name>` → the task, unless this process made the announcement. */
export function remoteTaskOf(payload: string | undefined): string | undefined {
  if (!payload) return undefined;
  const space = payload.indexOf(" ");
  if (space <= 0) return undefined;
  return payload.slice(space + 1) === PROCESS_TAG ? undefined : payload.slice(0, space);
}

/** LISTENs for announcements until the returned stop is called; reconnects after a lost connection. */
export function listenForRemoteEvents(url: string, options: { retryMs?: number } = {}): { ready: Promise<void>; stop: () => Promise<void> } {
  const retryMs = options.retryMs ?? 1000;
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const connect = async () => {
    const current = new pg.Client({ connectionString: url, application_name: `${PROCESS_TAG}-listen` });
    client = current;
    const lost = (error?: unknown) => {
      if (client !== current) return;
      client = undefined;
      current.end().catch(() => undefined);
      if (stopped) return;
      logger.warn("run-event listener lost its connection; reconnecting", { error: error ? String(error) : undefined });
      retry = setTimeout(() => void connect(), retryMs);
      retry.unref();
    };
    current.on("error", lost);
    current.on("end", () => lost());
    current.on("notification", (message) => {
      if (message.channel !== RUN_EVENTS_CHANNEL) return;
      const taskId = remoteTaskOf(message.payload);
      if (taskId) emitter().emit(taskId);
    });
    try {
      await current.connect();
      await current.query(`LISTEN ${RUN_EVENTS_CHANNEL}`);
      markReady();
    } catch (error) {
      lost(error);
    }
  };
  void connect();

  return {
    ready,
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
