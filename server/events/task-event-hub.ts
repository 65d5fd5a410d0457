import { readLastRunEventSeq, readRunEvents, type RunEvent } from "@/server/db/queries/run-events";
import { terminalEventTypes } from "@/server/domain/task-vocabulary";
import { processWide } from "@/server/process-wide";
import { onRemoteAppend } from "./remote-events";
import { onRunEvent } from "./run-events";

/**
 * One subscription per task per process, shared by every stream that watches the task (SSE
 * streams, the OpenAI-compatible endpoint, the MCP tools). DESIGN.md measured a catch-up query
 * and timer per stream: 1,000 watchers cost a quarter of a core idle and 5,000 stalled the task
 * they watched. Here the first watcher of a task opens its hub and the last one leaving closes
 * it. The hub hears events appended in this process directly (run-events.ts: no read at all) and
 * reads the log once per announcement from another process (remote-events.ts, LISTEN/NOTIFY),
 * then hands the same events — and, to SSE streams, the same bytes, serialized once — to every
 * watcher. Heartbeats and the safety re-read come from one timer each for the whole process.
 *
 * A new watcher replays the log after its own position (watchers joining at the same place share
 * that read), with live events queued meanwhile, then joins: everything the hub hands over after
 * it registered is either in its replay or in its queue (the log is written in seq order per
 * task, one writer at a time), so nothing is missed and, filtering by seq, nothing is repeated.
 */

/** Events handed over together, encoded once for every SSE watcher that takes them. */
export interface EventBatch {
  readonly events: readonly RunEvent[];
  /** The SSE bytes of `events[index]` (`id:`, `event:`, `data:`), encoded on first use. */
  eventBytes(index: number): Uint8Array;
  /** The SSE bytes of the whole batch, encoded on first use. */
  bytes(): Uint8Array;
}

export interface TaskEventWatcher {
  /** Events after `afterSeq`: each once, in order; `fromIndex` is the first of `batch.events` this watcher has not had. */
  deliver(batch: EventBatch, fromIndex: number): void;
  /** Every heartbeat interval while the watcher is live. */
  heartbeat(): void;
  /** After the terminal event, when stopped, or when the log cannot be read; called once. */
  end(reason: "finished" | "stopped" | "failed" | "gap"): void;
}

export interface HubTiming {
  /** Comments sent to every live stream this often, from one process-wide timer. */
  heartbeatMs: number;
  /**
   * Each open hub re-reads the log this often, from one process-wide timer: an announcement from
   * another process can be lost while the LISTEN connection reconnects; events of this process
   * never are. One query per watched task, not per watcher.
   */
  rereadMs: number;
}

const encoder = new TextEncoder();
export const HEARTBEAT_BYTES = encoder.encode(`: heartbeat\n\n`);

/** The SSE text of one run event: `id:` is its seq, so a reconnecting EventSource resumes with Last-Event-ID. */
export const sseEventText = (event: RunEvent) => `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

export function eventBatch(events: readonly RunEvent[]): EventBatch {
  const encoded: Array<Uint8Array | undefined> = [];
  let whole: Uint8Array | undefined;
  const eventBytes = (index: number) => (encoded[index] ??= encoder.encode(sseEventText(events[index]!)));
  return {
    events,
    eventBytes,
    bytes() {
      if (whole) return whole;
      if (events.length === 1) return (whole = eventBytes(0));
      const parts = events.map((_, index) => eventBytes(index));
      whole = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
      let offset = 0;
      for (const part of parts) {
        whole.set(part, offset);
        offset += part.length;
      }
      return whole;
    },
  };
}

interface Member {
  watcher: TaskEventWatcher;
  /** The last seq this watcher has had. */
  seq: number;
  /** Batches the hub handed over while the watcher replays the log; sent, filtered by seq, when it joins. */
  queued: EventBatch[] | undefined;
  closed: boolean;
}

interface Hub {
  taskId: string;
  /** The task had finished when the hub read where its log ends. */
  finishedAtOpen: boolean;
  members: Set<Member>;
  /** The last seq handed to the watchers; undefined until the hub has read where the log ends. */
  position: number | undefined;
  /** Events of this process heard before `position` was known. */
  early: RunEvent[];
  reading: Promise<void> | undefined;
  /** Asked to read while a read was under way: it may have started before the new events committed. */
  again: boolean;
  unsubscribe: Array<() => void>;
  /** Replay reads under way, by the seq they read after, with `dispatches` when each began (see replayPage). */
  replays: Map<number, { page: Promise<EventBatch>; dispatches: number }>;
  /** How many times the hub has handed events over. */
  dispatches: number;
  /** Resolved once `position` is known. */
  ready: Promise<void>;
  markReady: () => void;
}

interface HubRegistry {
  hubs: Map<string, Hub>;
  timing: HubTiming;
  timers: NodeJS.Timeout[];
  /** Log reads the hubs made (not the watchers' replays): what tests and the bench compare with the watcher count. */
  hubReads: number;
  replayReads: number;
}

const registry = () =>
  processWide<HubRegistry>("chorus.task-event-hubs", () => ({
    hubs: new Map(),
    timing: { heartbeatMs: 15_000, rereadMs: 5_000 },
    timers: [],
    hubReads: 0,
    replayReads: 0,
  }));

/** Changes the shared timers' intervals (restarting them if hubs are open); returns the previous timing. */
export function setTaskEventHubTiming(timing: Partial<HubTiming>): HubTiming {
  const state = registry();
  const previous = state.timing;
  state.timing = { ...previous, ...timing };
  if (state.timers.length > 0) {
    stopTimers(state);
    startTimers(state);
  }
  return previous;
}

/** How many hubs and watchers are open, and the log reads made so far (hubs' and replays'). */
export function taskEventHubStats() {
  const state = registry();
  let watchers = 0;
  for (const hub of state.hubs.values()) watchers += hub.members.size;
  return { hubs: state.hubs.size, watchers, hubReads: state.hubReads, replayReads: state.replayReads };
}

function startTimers(state: HubRegistry) {
  state.timers.push(
    setInterval(() => {
      for (const hub of state.hubs.values())
        for (const member of hub.members) if (!member.queued && !member.closed) member.watcher.heartbeat();
    }, state.timing.heartbeatMs).unref(),
    setInterval(() => {
      for (const hub of state.hubs.values()) read(hub);
    }, state.timing.rereadMs).unref(),
  );
}

function stopTimers(state: HubRegistry) {
  state.timers.splice(0).forEach((timer) => clearInterval(timer));
}

const isTerminal = (event: RunEvent) => terminalEventTypes.includes(event.type);

/** Hands a batch to one member, from the first event it has not had; ends it after the terminal event. */
function handOver(hub: Hub, member: Member, batch: EventBatch) {
  if (member.closed) return;
  const events = batch.events;
  const last = events[events.length - 1]!;
  if (last.seq <= member.seq) return;
  const fromIndex = events.findIndex((event) => event.seq > member.seq);
  if (events[fromIndex]!.seq !== member.seq + 1) {
    // Cannot happen while the log is gap-free; if it ever did, the client resumes from what it has.
    leave(hub, member, "gap");
    return;
  }
  member.seq = last.seq;
  member.watcher.deliver(batch, fromIndex);
  if (events.slice(fromIndex).some(isTerminal)) leave(hub, member, "finished");
}

/** Hands events (in seq order, after `hub.position`) to every watcher, live or queued. */
function dispatch(hub: Hub, events: readonly RunEvent[]) {
  const fresh = hub.position === undefined ? [] : events.filter((event) => event.seq > hub.position!);
  if (fresh.length === 0) return;
  hub.position = fresh[fresh.length - 1]!.seq;
  hub.dispatches += 1;
  const batch = eventBatch(fresh);
  for (const member of [...hub.members]) {
    if (member.queued) member.queued.push(batch);
    else handOver(hub, member, batch);
  }
}

/** An event appended in this process: handed over at once, unless one before it has not been seen yet. */
function heard(hub: Hub, event: RunEvent) {
  if (hub.position === undefined) {
    hub.early.push(event);
    return;
  }
  if (event.seq <= hub.position) return;
  if (event.seq > hub.position + 1) {
    // Published out of order (two statements racing): the log has them in order.
    read(hub);
    return;
  }
  dispatch(hub, [event]);
}

/** Reads the log after the hub's position, once for all its watchers, and hands over what is new. */
function read(hub: Hub) {
  if (hub.reading) {
    hub.again = true;
    return;
  }
  const state = registry();
  hub.reading = (async () => {
    try {
      if (hub.position === undefined) {
        state.hubReads += 1;
        try {
          const log = await readLastRunEventSeq(hub.taskId);
          hub.position = log.lastSeq;
          hub.finishedAtOpen = log.finished;
        } catch (error) {
          // Its watchers cannot know where live events start: they end, and their clients reconnect.
          for (const member of [...hub.members]) leave(hub, member, "failed");
          throw error;
        }
        hub.markReady();
        const early = hub.early.splice(0).sort((a, b) => a.seq - b.seq);
        for (const event of early) heard(hub, event);
      }
      do {
        hub.again = false;
        for (;;) {
          state.hubReads += 1;
          const events = await readRunEvents(hub.taskId, hub.position);
          dispatch(hub, events);
          if (events.length < 1000 || hub.members.size === 0) break;
        }
      } while (hub.again && hub.members.size > 0);
    } catch {
      // The database is away: the next announcement or the safety re-read tries again.
    } finally {
      hub.reading = undefined;
    }
  })();
}

/**
 * A page of the log after `afterSeq` for watchers replaying it: watchers that join at the same
 * place at the same time (a burst of page loads, a dashboard on a wall of screens) share one
 * query and one serialization.
 */
function replayPage(hub: Hub, afterSeq: number): Promise<EventBatch> {
  // Only a read begun since the hub last handed anything over: an event handed over before this
  // watcher registered but committed after an older read's snapshot would be in neither.
  const pending = hub.replays.get(afterSeq);
  if (pending && pending.dispatches === hub.dispatches) return pending.page;
  const state = registry();
  state.replayReads += 1;
  const page = readRunEvents(hub.taskId, afterSeq).then(eventBatch);
  const entry = { page, dispatches: hub.dispatches };
  hub.replays.set(afterSeq, entry);
  const forget = () => {
    if (hub.replays.get(afterSeq) === entry) hub.replays.delete(afterSeq);
  };
  page.then(forget, forget);
  return page;
}

function openHub(taskId: string): Hub {
  const state = registry();
  const hub: Hub = {
    taskId,
    members: new Set(),
    position: undefined,
    early: [],
    reading: undefined,
    again: false,
    unsubscribe: [],
    replays: new Map(),
    dispatches: 0,
    finishedAtOpen: false,
    ready: undefined as unknown as Promise<void>,
    markReady: () => undefined,
  };
  hub.ready = new Promise<void>((resolve) => (hub.markReady = resolve));
  state.hubs.set(taskId, hub);
  hub.unsubscribe.push(
    onRunEvent(taskId, (event) => heard(hub, event)),
    onRemoteAppend(taskId, () => read(hub)),
  );
  if (state.timers.length === 0) startTimers(state);
  read(hub);
  return hub;
}

function leave(hub: Hub, member: Member, reason: Parameters<TaskEventWatcher["end"]>[0]) {
  if (member.closed) return;
  member.closed = true;
  hub.members.delete(member);
  if (hub.members.size === 0) {
    const state = registry();
    hub.unsubscribe.splice(0).forEach((stop) => stop());
    if (state.hubs.get(hub.taskId) === hub) state.hubs.delete(hub.taskId);
    if (state.hubs.size === 0) stopTimers(state);
  }
  member.watcher.end(reason);
}

/**
 * Follows `taskId`'s events after `afterSeq` through the task's hub until the terminal event
 * (delivered, then `end("finished")`) or the returned stop is called (`end("stopped")`).
 */
export function watchTaskEvents(taskId: string, afterSeq: number, watcher: TaskEventWatcher): () => void {
  const state = registry();
  const hub = state.hubs.get(taskId) ?? openHub(taskId);
  const member: Member = { watcher, seq: afterSeq, queued: [], closed: false };
  hub.members.add(member);
  void (async () => {
    try {
      for (;;) {
        // The replay: the log from where this watcher is, up to what the read sees.
        for (;;) {
          const batch = await replayPage(hub, member.seq);
          if (member.closed) return;
          if (batch.events.length > 0) {
            handOver(hub, member, batch);
            if (member.closed) return;
          }
          if (batch.events.length < 1000) break;
        }
        await hub.ready;
        if (member.closed) return;
        // Then what the hub handed over meanwhile, as far as it continues the replay without a gap.
        const queued = member.queued ?? [];
        member.queued = [];
        let gap = false;
        for (const batch of queued) {
          const next = batch.events.find((event) => event.seq > member.seq);
          if (!next) continue;
          if (next.seq !== member.seq + 1) {
            gap = true;
            break;
          }
          handOver(hub, member, batch);
          if (member.closed) return;
        }
        // Live once it has everything the hub has handed over (an event committed after the
        // replay's read but before the hub started is in neither: read again from here).
        // A task that had finished when the hub opened gets no more events: its watchers end once
        // they have replayed the log (whose terminal event usually ended them already; not when
        // they resumed after it, or when retention pruned the log).
        if (!gap && hub.finishedAtOpen) {
          leave(hub, member, "finished");
          return;
        }
        if (!gap && member.seq >= hub.position!) {
          member.queued = undefined;
          return;
        }
      }
    } catch {
      leave(hub, member, "failed");
    }
  })();
  return () => leave(hub, member, "stopped");
}
