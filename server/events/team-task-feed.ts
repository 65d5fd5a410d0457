import { readTeamStatusEvents, TEAM_STREAM_EVENT_TYPES, type TeamStatusEventRow } from "@/server/db/queries/task-list";
import { processWide } from "@/server/process-wide";
import { onAnyRemoteAppend } from "./remote-events";
import { onAnyTaskRunEvents } from "./run-events";

/**
 * The team stream (`GET /api/v1/events`, docs/dashboard.md): one small event whenever any of a
 * team's tasks changes status, for the task list to update its rows without polling.
 *
 * The source is the run-event log itself — no extra writes on the task's hot path. Its
 * status-changing events are read in commit-safe order, (transaction id, event id), taking only
 * events of transactions older than the reading snapshot's xmin (readTeamStatusEvents): an event
 * that commits later always sorts after every event already sent, so a client that resumes
 * after the last id it saw (Last-Event-ID or ?after=) misses nothing and sees nothing twice.
 *
 * One reader per process serves every open team stream (as DESIGN.md asks: no timer or query per
 * stream): it reads all teams' new status events once when woken — by a status event appended
 * in this process, an append announced by another one, or a slow safety re-read — and hands
 * each to the streams of its team. A stream's own query runs once, when it opens, to replay
 * what it missed.
 */

/** A place in the team stream: after this transaction id and event id (decimal strings: 64-bit). */
export interface TeamStreamPosition {
  xid: string;
  id: string;
}

/** What a team stream sends for each status change. */
export interface TeamTaskEvent {
  position: TeamStreamPosition;
  taskId: string;
  type: TeamStatusEventRow["type"];
  /** The task's status when the event was read (the latest, for a list to show). */
  status: TeamStatusEventRow["status"];
  at: string;
}

/** The `id:` of an SSE event: `<xid>-<id>`; what Last-Event-ID and ?after= take back. */
export const formatTeamStreamPosition = (position: TeamStreamPosition) => `${position.xid}-${position.id}`;

export function parseTeamStreamPosition(text: string): TeamStreamPosition | undefined {
  const match = /^(\d{1,20})-(\d{1,20})$/.exec(text);
  if (!match || BigInt(match[1]!) > 2n ** 63n - 1n || BigInt(match[2]!) > 2n ** 63n - 1n) return undefined;
  return { xid: match[1]!, id: match[2]! };
}

const isAfter = (a: TeamStreamPosition, b: TeamStreamPosition) => {
  const [ax, bx] = [BigInt(a.xid), BigInt(b.xid)];
  return ax > bx || (ax === bx && BigInt(a.id) > BigInt(b.id));
};

const eventOf = (row: TeamStatusEventRow): TeamTaskEvent => ({
  position: { xid: row.xid, id: row.id },
  taskId: row.taskId,
  type: row.type,
  status: row.status,
  at: row.createdAt,
});

const statusTypes: ReadonlySet<string> = new Set(TEAM_STREAM_EVENT_TYPES);
const PAGE = 500;
/** A stream that would replay more than this starts at the present instead, with a `reset` (the list reloads). */
const MAX_REPLAY = 5_000;

interface Listener {
  event(event: TeamTaskEvent): void;
  heartbeat(): void;
}

interface Feed {
  listeners: Map<string, Set<Listener>>;
  /** The reader's place; set when the first stream opens. */
  position?: Promise<TeamStreamPosition>;
  reading?: Promise<void>;
  again: boolean;
  /** How long to wait before reading again while committed events are held back (0: none are). */
  heldDelayMs: number;
  timers: NodeJS.Timeout[];
  wakeScheduled?: NodeJS.Timeout;
  unsubscribe: Array<() => void>;
}

const feed = () =>
  processWide<Feed>("chorus.team-task-feed", () => ({ listeners: new Map(), again: false, heldDelayMs: 0, timers: [], unsubscribe: [] }));

/** Where a stream with nothing to replay starts: the present (events of transactions still running come later). */
async function presentPosition(): Promise<TeamStreamPosition> {
  const { horizon } = await readTeamStatusEvents({ teamId: null, afterXid: "0", afterId: "0", limit: 0 });
  return { xid: String(BigInt(horizon) - 1n), id: String(2n ** 63n - 1n) };
}

/** Reads every team's status events after the feed's place and hands them to their teams' streams. */
function wake(options: { soon?: boolean; delayMs?: number } = {}) {
  const state = feed();
  if (!state.position) return;
  if (options.soon) {
    // Coalesce bursts (another process's every append announces itself): one read per 25 ms at most.
    state.wakeScheduled ??= setTimeout(() => {
      state.wakeScheduled = undefined;
      wake();
    }, options.delayMs ?? 25);
    return;
  }
  if (state.reading) {
    state.again = true;
    return;
  }
  state.reading = (async () => {
    try {
      do {
        state.again = false;
        for (;;) {
          const after = await state.position!;
          const { events, held } = await readTeamStatusEvents({ teamId: null, afterXid: after.xid, afterId: after.id, limit: PAGE });
          // Committed events wait behind an older transaction still running (usually milliseconds): look again shortly.
          // Backing off (25 ms, doubling up to a second) while a long transaction keeps them waiting.
          state.heldDelayMs = held ? Math.min((state.heldDelayMs || 12.5) * 2, 1000) : 0;
          if (held) wake({ soon: true, delayMs: state.heldDelayMs });
          for (const row of events) {
            const event = eventOf(row);
            state.position = Promise.resolve(event.position);
            for (const listener of state.listeners.get(row.teamId) ?? []) listener.event(event);
          }
          if (events.length < PAGE) break;
        }
      } while (state.again);
    } catch {
      // The database is away: the next wake or the safety re-read tries again.
    } finally {
      state.reading = undefined;
    }
  })();
}

function startFeed(state: Feed) {
  state.position = presentPosition().catch((error: unknown) => {
    stopFeed(state);
    throw error;
  });
  state.position.catch(() => undefined);
  state.unsubscribe.push(
    onAnyTaskRunEvents((_taskId, events) => {
      if (events.some((event) => statusTypes.has(event.type))) wake();
    }),
    onAnyRemoteAppend(() => wake({ soon: true })),
  );
  // An announcement can be lost, and events held back by the xmin rule are looked at again only
  // while some are visible: one re-read per process per second catches what remains (not per stream).
  state.timers.push(setInterval(() => wake(), 1000).unref());
  state.timers.push(
    setInterval(() => {
      for (const listeners of state.listeners.values()) for (const listener of listeners) listener.heartbeat();
    }, 15_000).unref(),
  );
}

function stopFeed(state: Feed) {
  state.unsubscribe.splice(0).forEach((stop) => stop());
  state.timers.splice(0).forEach((timer) => clearInterval(timer));
  if (state.wakeScheduled) clearTimeout(state.wakeScheduled);
  state.wakeScheduled = undefined;
  state.position = undefined;
}

export interface TeamStreamHandlers {
  /** Each status event after the start, once, in order. */
  event(event: TeamTaskEvent): void;
  /** The stream's place when it has nothing to replay (a fresh stream), so a reconnect resumes there. */
  ready(position: TeamStreamPosition): void;
  /** The client is too far behind to replay: reload, then follow from `position`. */
  reset(position: TeamStreamPosition): void;
  heartbeat(): void;
  end(): void;
}

/**
 * Follows `teamId`'s status events after `after` (null: from now) until `signal` aborts or the
 * log cannot be read. Returns the function that stops it.
 */
export function followTeamTaskEvents(teamId: string, after: TeamStreamPosition | null, signal: AbortSignal, handlers: TeamStreamHandlers) {
  const state = feed();
  let closed = false;
  let position: TeamStreamPosition | undefined;
  // Live events wait here while the stream replays what it missed, then go out in order.
  const pending: TeamTaskEvent[] = [];
  let replaying = true;
  const send = (event: TeamTaskEvent) => {
    if (closed || (position && !isAfter(event.position, position))) return;
    position = event.position;
    handlers.event(event);
  };
  const listener: Listener = {
    event: (event) => (replaying ? pending.push(event) : send(event)),
    heartbeat: () => {
      if (!closed && !replaying) handlers.heartbeat();
    },
  };
  if (!state.listeners.has(teamId)) state.listeners.set(teamId, new Set());
  state.listeners.get(teamId)!.add(listener);
  if (!state.position) startFeed(state);

  const close = () => {
    if (closed) return;
    closed = true;
    const listeners = state.listeners.get(teamId);
    listeners?.delete(listener);
    if (listeners?.size === 0) state.listeners.delete(teamId);
    if (state.listeners.size === 0) stopFeed(state);
    signal.removeEventListener("abort", close);
    handlers.end();
  };
  if (signal.aborted) {
    close();
    return close;
  }
  signal.addEventListener("abort", close);

  void (async () => {
    try {
      if (after === null) {
        // The feed's reader hands over everything after the present; earlier events are not this stream's.
        const start = await presentPosition();
        position = start;
        handlers.ready(start);
      } else {
        let cursor = after;
        let replayed = 0;
        for (;;) {
          const { events } = await readTeamStatusEvents({ teamId, afterXid: cursor.xid, afterId: cursor.id, limit: PAGE });
          if (closed) return;
          for (const row of events) {
            const event = eventOf(row);
            send(event);
            cursor = event.position;
          }
          replayed += events.length;
          if (events.length < PAGE) break;
          if (replayed >= MAX_REPLAY) {
            const start = await presentPosition();
            position = start;
            handlers.reset(start);
            break;
          }
        }
        if (!position) {
          position = cursor;
          handlers.ready(cursor);
        }
      }
      replaying = false;
      pending.splice(0).forEach(send);
    } catch {
      close();
    }
  })();
  return close;
}

/** The team stream as Server-Sent Events: `id:` is the position, `event:` the run-event type. */
export function teamTaskEventStream(teamId: string, after: TeamStreamPosition | null, signal: AbortSignal) {
  const encoder = new TextEncoder();
  let stop: (() => void) | undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (text: string) => {
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          stop?.();
        }
      };
      write(`retry: 3000\n: connected\n\n`);
      stop = followTeamTaskEvents(teamId, after, signal, {
        event: (event) =>
          write(
            `id: ${formatTeamStreamPosition(event.position)}\nevent: ${event.type}\ndata: ${JSON.stringify({
              taskId: event.taskId,
              type: event.type,
              status: event.status,
              at: event.at,
            })}\n\n`,
          ),
        ready: (position) => write(`id: ${formatTeamStreamPosition(position)}\nevent: ready\ndata: {}\n\n`),
        reset: (position) => write(`id: ${formatTeamStreamPosition(position)}\nevent: reset\ndata: {}\n\n`),
        heartbeat: () => write(`: heartbeat\n\n`),
        end: () => {
          try {
            controller.close();
          } catch {
            /* already closed by the client */
          }
        },
      });
    },
    cancel() {
      stop?.();
    },
  });
}
