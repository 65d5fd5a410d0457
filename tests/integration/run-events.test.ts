import { describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { readRunEvents } from "@/server/db/queries/run-events";
import { appendRunEvent, appendRunEvents, onRunEvent } from "@/server/events/run-events";
import { taskEventStream } from "@/server/events/event-stream";

async function newTask() {
  const db = getDb();
  const team = await db.team.create({ data: { slug: `events-${Math.random().toString(36).slice(2, 8)}`, name: "Events" } });
  return db.task.create({ data: { teamId: team.id, prompt: "log me" } });
}

describe("the run-event log", () => {
  it("numbers concurrent appends 1..N without gaps or repeats", async () => {
    const task = await newTask();
    await Promise.all(Array.from({ length: 40 }, (_, index) => appendRunEvent(task.id, "agent.delta", { text: String(index) })));
    const events = await readRunEvents(task.id);
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    expect(new Set(events.map((event) => event.payload.text)).size).toBe(40);
  });

  it("stores a batch in order, interleaved safely with single appends", async () => {
    const task = await newTask();
    const batch = (label: string) =>
      ["a", "b", "c"].map((part) => ({ type: "agent.delta" as const, payload: { text: `${label}${part}` } }));
    await Promise.all([
      appendRunEvents(task.id, batch("x")),
      appendRunEvent(task.id, "task.progress"),
      appendRunEvents(task.id, batch("y")),
    ]);
    const events = await readRunEvents(task.id);
    expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const texts = events
      .map((event) => event.payload.text)
      .filter(Boolean)
      .join(" ");
    expect(texts).toMatch(/xa xb xc/);
    expect(texts).toMatch(/ya yb yc/);
    await expect(appendRunEvents("no-such-task", batch("z"))).rejects.toThrow(/does not exist/);
  });

  it("tells in-process listeners at once and reads from any sequence number", async () => {
    const task = await newTask();
    const seen: number[] = [];
    const stop = onRunEvent(task.id, (event) => seen.push(event.seq));
    await appendRunEvent(task.id, "task.created");
    await appendRunEvent(task.id, "task.planned", { steps: [] });
    stop();
    await appendRunEvent(task.id, "task.completed");
    expect(seen).toEqual([1, 2]);
    expect((await readRunEvents(task.id, 1)).map((event) => event.type)).toEqual(["task.planned", "task.completed"]);
  });

  it("streams as SSE: replays what is stored, follows live events, ends after the terminal one", async () => {
    const task = await newTask();
    await appendRunEvent(task.id, "task.created");
    await appendRunEvent(task.id, "task.planned", { steps: [] });
    const stream = taskEventStream(task.id, 1, new AbortController().signal);
    const text = (async () => {
      let body = "";
      const reader = stream.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return body;
        body += decoder.decode(value, { stream: true });
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await appendRunEvent(task.id, "agent.delta", { stepId: "a", text: "hi" });
    await appendRunEvent(task.id, "task.completed", { result: { markdown: "done" } });
    const body = await text;
    const ids = [...body.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(ids).toEqual([2, 3, 4]);
    expect(body).toContain("event: task.completed");
  });
});
