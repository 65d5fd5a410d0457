import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { APPENDED_COLUMNS, appendRunEventsSql, readRunEvents, type RunEvent } from "@/server/db/queries/run-events";
import { followTaskEvents, SlowClientError, taskEventStream } from "@/server/events/event-stream";
import { listenForRemoteEvents } from "@/server/events/remote-events";
import { appendRunEvent, appendRunEvents } from "@/server/events/run-events";
import { setTaskEventHubTiming, taskEventHubStats } from "@/server/events/task-event-hub";

/**
 * Streams that scale: every watcher of a task shares one hub per process, which reads the log
 * once per announcement (not once per watcher), hands the same events to all, never loses or
 * repeats one when a watcher joins mid-flight, drops a client that stops reading, and sends
 * heartbeats from one timer.
 */
let listener: ReturnType<typeof listenForRemoteEvents>;
let otherProcess: pg.Client;

beforeAll(async () => {
  // No safety re-read during the tests: a read happens only when something asks for it.
  setTaskEventHubTiming({ rereadMs: 600_000, heartbeatMs: 600_000 });
  listener = listenForRemoteEvents(process.env.DATABASE_URL!);
  await listener.ready;
  otherProcess = new pg.Client({
    connectionString: process.env.DATABASE_URL,
    application_name: "chorus-other-process",
    options: "-c chorus.announce_run_events=on",
  });
  await otherProcess.connect();
});

afterAll(async () => {
  await listener.stop();
  await otherProcess.end();
});

async function newTask() {
  const db = getDb();
  const team = await db.team.create({ data: { slug: `hub-${Math.random().toString(36).slice(2, 8)}`, name: "Hub" } });
  return db.task.create({ data: { teamId: team.id, prompt: "watch me together" } });
}

/** What appendRunEvents runs, from another Chorus process: announced over NOTIFY, not heard in this process. */
async function appendFromOtherProcess(taskId: string, types: string[]) {
  await otherProcess.query(
    `WITH ${appendRunEventsSql({ taskId: "$1", types: "$2::text[]", payloads: "$3::jsonb[]" })} SELECT ${APPENDED_COLUMNS}`,
    [taskId, types, types.map(() => "{}")],
  );
}

async function until(check: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  return check();
}

function follow(taskId: string, afterSeq: number) {
  const seqs: number[] = [];
  const stop = new AbortController();
  let ended = false;
  const done = new Promise<void>((resolve) =>
    followTaskEvents(taskId, afterSeq, stop.signal, {
      event: (event: RunEvent) => seqs.push(event.seq),
      end: () => {
        ended = true;
        resolve();
      },
    }),
  );
  return { seqs, done, stop: () => stop.abort(), ended: () => ended };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

function readAll(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const done = (async () => {
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) return text;
      text += decoder.decode(value, { stream: true });
    }
  })();
  return { text: () => text, done };
}

describe("a task's event hub", () => {
  it("reads the log once per announcement, whatever the number of watchers, and not at all for its own process's events", async () => {
    const task = await newTask();
    await appendRunEvent(task.id, "task.created");
    const replays = taskEventHubStats().replayReads;
    const watchers = Array.from({ length: 50 }, () => follow(task.id, 0));
    expect(await until(() => watchers.every((watcher) => watcher.seqs.length === 1))).toBe(true);
    expect(taskEventHubStats()).toMatchObject({ hubs: 1, watchers: 50 });
    // Joining together at the same place, they shared one replay read.
    expect(taskEventHubStats().replayReads - replays).toBe(1);

    const before = taskEventHubStats().hubReads;
    await appendFromOtherProcess(task.id, ["task.planned", "agent.started", "agent.delta"]);
    expect(await until(() => watchers.every((watcher) => watcher.seqs.length === 4))).toBe(true);
    expect(taskEventHubStats().hubReads - before).toBe(1);

    // Appended here: the hub heard them with their content, no read at all.
    for (let index = 0; index < 5; index += 1) await appendRunEvent(task.id, "agent.delta", { text: String(index) });
    expect(await until(() => watchers.every((watcher) => watcher.seqs.length === 9))).toBe(true);
    expect(taskEventHubStats().hubReads - before).toBe(1);

    await appendRunEvent(task.id, "task.completed");
    await Promise.all(watchers.map((watcher) => watcher.done));
    for (const watcher of watchers) expect(watcher.seqs).toEqual(range(1, 10));
    // The last watcher leaving closed the hub.
    expect(taskEventHubStats()).toMatchObject({ hubs: 0, watchers: 0 });
  });

  it("gives every watcher that joins mid-flight each event after its place exactly once, under concurrent appends from two processes", async () => {
    const task = await newTask();
    let written = 0;
    const writing = (async () => {
      for (let round = 0; round < 40; round += 1) {
        // Concurrent statements: their events can be published here out of seq order.
        await Promise.all([
          appendRunEvent(task.id, "agent.delta", { text: "a" }),
          appendRunEvents(task.id, [
            { type: "agent.delta", payload: { text: "b" } },
            { type: "agent.delta", payload: { text: "c" } },
          ]),
          appendFromOtherProcess(task.id, ["agent.delta"]),
        ]);
        written += 4;
        if (round % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    const watchers: Array<{ after: number; watcher: ReturnType<typeof follow> }> = [];
    while (written < 150) {
      const after = Math.floor(Math.random() * (written + 1));
      watchers.push({ after, watcher: follow(task.id, after) });
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
    }
    await writing;
    await appendRunEvent(task.id, "task.completed");
    await Promise.all(watchers.map(({ watcher }) => watcher.done));
    expect(watchers.length).toBeGreaterThan(5);
    for (const { after, watcher } of watchers) expect(watcher.seqs).toEqual(range(after + 1, 161));
  });

  it("drops a client that stops reading, keeps one that reads, and lets the dropped one resume from the log", async () => {
    const task = await newTask();
    const payload = { text: "x".repeat(8 * 1024) };
    const stalled = taskEventStream(task.id, 0, new AbortController().signal, { maxUnsentBytes: 64 * 1024 });
    const reading = readAll(taskEventStream(task.id, 0, new AbortController().signal, { maxUnsentBytes: 64 * 1024 }));
    for (let index = 0; index < 40; index += 1) await appendRunEvent(task.id, "agent.delta", payload);
    expect(await until(() => taskEventHubStats().watchers === 1)).toBe(true);
    await expect(stalled.getReader().read()).rejects.toBeInstanceOf(SlowClientError);

    await appendRunEvent(task.id, "task.completed");
    const ids = [...(await reading.done).matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(ids).toEqual(range(1, 41));
    // Reconnecting with Last-Event-ID: the log has everything.
    const resumed = follow(task.id, 12);
    await resumed.done;
    expect(resumed.seqs).toEqual(range(13, 41));
  });

  it("sends heartbeats to every open stream from one process-wide timer", async () => {
    const task = await newTask();
    setTaskEventHubTiming({ heartbeatMs: 20 });
    try {
      const streams = Array.from({ length: 5 }, () => new AbortController());
      const readers = streams.map((abort) => readAll(taskEventStream(task.id, 0, abort.signal)));
      expect(await until(() => readers.every((reader) => reader.text().split(": heartbeat").length > 2))).toBe(true);
      streams.forEach((abort) => abort.abort());
      await Promise.all(readers.map((reader) => reader.done));
      expect(taskEventHubStats().hubs).toBe(0);
    } finally {
      setTaskEventHubTiming({ heartbeatMs: 600_000 });
    }
  });

  it("replays a finished task's log and ends, without waiting for anything live", async () => {
    const task = await newTask();
    await appendRunEvents(task.id, [{ type: "task.created" }, { type: "task.planned", payload: { steps: [] } }, { type: "task.failed" }]);
    const late = follow(task.id, 1);
    await late.done;
    expect(late.seqs).toEqual([2, 3]);
    expect((await readRunEvents(task.id)).length).toBe(3);
    expect(taskEventHubStats().hubs).toBe(0);
  });

  it("ends a finished task's stream resumed after its last event, or whose log retention pruned, instead of waiting forever", async () => {
    const task = await newTask();
    await appendRunEvents(task.id, [{ type: "task.created" }, { type: "task.completed" }]);
    await getDb().task.update({ where: { id: task.id }, data: { status: "completed" } });
    const resumedAfterEnd = follow(task.id, 2);
    await resumedAfterEnd.done;
    expect(resumedAfterEnd.seqs).toEqual([]);

    await getDb().runEvent.deleteMany({ where: { taskId: task.id } });
    const pruned = follow(task.id, 0);
    await pruned.done;
    expect(pruned.seqs).toEqual([]);
    expect(taskEventHubStats().hubs).toBe(0);
  });
});
