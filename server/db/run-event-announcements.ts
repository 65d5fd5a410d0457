import pg from "pg";
import { PROCESS_TAG } from "@/server/db/client";
import { logger } from "@/server/observability/logger";
import { RUN_EVENTS_CHANNEL } from "./queries/run-events";

/**
 * The other end of the announcements APPENDED_COLUMNS makes (queries/run-events.ts): one
 * dedicated connection per process LISTENs on the channel and reports the task of each append
 * that another process made. It is a connection, not a pooled query (a LISTEN holds its
 * connection for as long as it listens), so it lives here beside the pool. Announcements made
 * by this process are skipped: its listeners heard those events directly.
 */

/** `<taskId> <application_name>` → the task, unless this process made the announcement. */
export function remoteTaskOf(payload: string | undefined): string | undefined {
  if (!payload) return undefined;
  const space = payload.indexOf(" ");
  if (space <= 0) return undefined;
  return payload.slice(space + 1) === PROCESS_TAG ? undefined : payload.slice(0, space);
}

/**
 * LISTENs for announcements, calling `onRemoteAppend` with each task another process appended
 * to, until the returned stop is called; reconnects after a lost connection.
 */
export function listenForRunEventAnnouncements(
  url: string,
  onRemoteAppend: (taskId: string) => void,
  options: { retryMs?: number } = {},
): { ready: Promise<void>; stop: () => Promise<void> } {
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
      if (taskId) onRemoteAppend(taskId);
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
