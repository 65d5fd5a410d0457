import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, PROCESS_TAG } from "@/server/db/client";
import { taskEventStream } from "@/server/events/event-stream";
import { remoteTaskOf } from "@/server/db/run-event-announcements";
import { listenForRemoteEvents, onRemoteAppend } from "@/server/events/remote-events";
import { APPENDED_COLUMNS, appendRunEventsSql } from "@/server/db/queries/run-events";
import { appendRunEvent } from "@/server/events/run-events";
import { setTaskEventHubTiming } from "@/server/events/task-event-hub";

/**
 * Events appended by another Chorus process (another worker or replica) reach the streams open
 * here through LISTEN/NOTIFY, without waiting for the streams' periodic re-read.
 */
let listener: ReturnType<typeof listenForRemoteEvents>;
let otherProcess: pg.Client;

beforeAll(async () => {
  listener = listenForRemoteEvents(process.env.DATABASE_URL!);
  await listener.ready;
  // Another process: its own connection and its own application_name, as every Chorus process
  // has, announcing its appends as Chorus's connections do unless it runs alone.
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
  const team = await db.team.create({ data: { slug: `remote-${Math.random().toString(36).slice(2, 8)}`, name: "Remote" } });
  return db.task.create({ data: { teamId: team.id, prompt: "watch me from afar" } });
}

/** What appendRunEvents runs, sent from the other process's connection. */
async function appendFromOtherProcess(taskId: string, type: string, payload: Record<string, unknown> = {}) {
  await otherProcess.query(
    `WITH ${appendRunEventsSql({ taskId: "$1", types: "$2::text[]", payloads: "$3::jsonb[]" })} SELECT ${APPENDED_COLUMNS}`,
    [taskId, [type], [JSON.stringify(payload)]],
  );
}

function collect(stream: ReadableStream<Uint8Array>) {
  const events: string[] = [];
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const done = (async () => {
    let buffer = "";
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) return;
      buffer += decoder.decode(value, { stream: true });
      for (const match of buffer.matchAll(/^event: (.+)$/gm)) if (!events.includes(match[1]!)) events.push(match[1]!);
    }
  })();
  return { events, done };
}

async function until(check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return check();
}

describe("run events from other processes", () => {
  it("reach an open stream at once, not at its next poll", async () => {
    const task = await newTask();
    await appendRunEvent(task.id, "task.created");
    // The hub re-reads the log once a minute: only the announcement can deliver within the test.
    const previous = setTaskEventHubTiming({ rereadMs: 60_000, heartbeatMs: 60_000 });
    const stream = collect(taskEventStream(task.id, 0, new AbortController().signal));
    expect(await until(() => stream.events.includes("task.created"), 2000)).toBe(true);

    await appendFromOtherProcess(task.id, "task.planned", { steps: [] });
    expect(await until(() => stream.events.includes("task.planned"), 2000)).toBe(true);
    await appendFromOtherProcess(task.id, "agent.delta", { stepId: "research", text: "hello" });
    await appendFromOtherProcess(task.id, "task.completed", { result: "done" });
    await stream.done; // ends after the terminal event, with the server's `end`
    setTaskEventHubTiming(previous);
    expect(stream.events).toEqual(["task.created", "task.planned", "agent.delta", "task.completed", "end"]);
  });

  it("skips this process's own announcements (its streams heard those directly)", async () => {
    const task = await newTask();
    let nudges = 0;
    const stop = onRemoteAppend(task.id, () => nudges++);
    await appendRunEvent(task.id, "task.created"); // announced by this process
    await appendFromOtherProcess(task.id, "task.planned", { steps: [] });
    expect(await until(() => nudges === 1, 2000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop();
    expect(nudges).toBe(1);
    expect(remoteTaskOf(`${task.id} ${PROCESS_TAG}`)).toBeUndefined();
    expect(remoteTaskOf(`${task.id} chorus-other-process`)).toBe(task.id);
    expect(remoteTaskOf("malformed")).toBeUndefined();
  });

  it("hears nothing from a process that does not announce (one alone on its embedded database)", async () => {
    const task = await newTask();
    const quiet = new pg.Client({ connectionString: process.env.DATABASE_URL, application_name: "chorus-alone" });
    await quiet.connect();
    let nudges = 0;
    const stop = onRemoteAppend(task.id, () => nudges++);
    try {
      const sql = `WITH ${appendRunEventsSql({ taskId: "$1", types: "$2::text[]", payloads: "$3::jsonb[]" })} SELECT ${APPENDED_COLUMNS}`;
      const { rows } = await quiet.query(sql, [task.id, ["task.created"], ["{}"]]);
      expect(rows[0].firstSeq).toBe(1); // stored all the same
      await appendFromOtherProcess(task.id, "task.planned", { steps: [] }); // this one is announced
      expect(await until(() => nudges === 1, 2000)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(nudges).toBe(1);
    } finally {
      stop();
      await quiet.end();
    }
  });

  it("reconnects when its connection is lost", async () => {
    const own = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await own.connect();
    // End the listening connection from the server side, as a database restart would.
    await own.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`${PROCESS_TAG}-listen`]);
    await own.end();
    const task = await newTask();
    let nudged = false;
    const stop = onRemoteAppend(task.id, () => (nudged = true));
    // The listener reconnects within its retry interval (1 s); keep announcing until it hears one.
    const deadline = Date.now() + 5000;
    while (!nudged && Date.now() < deadline) {
      await appendFromOtherProcess(task.id, "agent.delta", { text: "are you there?" });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    stop();
    expect(nudged).toBe(true);
  });
});
