import http from "node:http";
import { describe, expect, it } from "vitest";
import { appendRunEvent, appendRunEvents } from "@/server/events/run-events";
import { taskEventHubStats } from "@/server/events/task-event-hub";
import { getDb } from "@/server/db/client";
import { sessionCookie, useApiServer } from "../support/api-server";
import { createTeamWithMembers } from "../support/fixtures";

/**
 * A task's event stream over HTTP: at its versioned path and its first one (an alias), with the
 * headers proxies need to pass it through unbuffered, resuming exactly after Last-Event-ID or
 * ?after=, and ending a client that stopped reading instead of buffering for it without limit.
 */
const api = useApiServer();

async function taskWithEvents() {
  const { team, callers } = await createTeamWithMembers();
  const task = await getDb().task.create({ data: { teamId: team.id, createdById: callers.viewer.userId, prompt: "stream me" } });
  await appendRunEvents(task.id, [
    { type: "task.created" },
    { type: "task.planned", payload: { steps: [] } },
    { type: "agent.delta", payload: { stepId: "research", text: "hi" } },
    { type: "task.completed", payload: { result: { markdown: "done" } } },
  ]);
  const { cookie } = await sessionCookie({ userId: callers.viewer.userId!, teamId: team.id });
  return { task, cookie };
}

const ids = (body: string) => [...body.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));

describe("a task's event stream over HTTP", () => {
  it("is served at /api/v1/tasks/{id}/events with proxy-safe headers, and still at /api/tasks/{id}/events", async () => {
    const { task, cookie } = await taskWithEvents();
    for (const path of [`/api/v1/tasks/${task.id}/events`, `/api/tasks/${task.id}/events`]) {
      const response = await fetch(`${api.baseURL}${path}`, { headers: { cookie } });
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(response.headers.get("cache-control")).toBe("no-cache, no-transform");
      expect(response.headers.get("x-accel-buffering")).toBe("no");
      expect(ids(await response.text())).toEqual([1, 2, 3, 4]);
    }
    const document = (await (await fetch(`${api.baseURL}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(["/api/v1/tasks/{id}/events", "/api/tasks/{id}/events"]));
  });

  it("resumes after Last-Event-ID or ?after=, and answers 404 for another team's task", async () => {
    const { task, cookie } = await taskWithEvents();
    const resumed = await fetch(`${api.baseURL}/api/v1/tasks/${task.id}/events`, { headers: { cookie, "last-event-id": "2" } });
    expect(ids(await resumed.text())).toEqual([3, 4]);
    const after = await fetch(`${api.baseURL}/api/v1/tasks/${task.id}/events?after=3`, { headers: { cookie } });
    expect(ids(await after.text())).toEqual([4]);
    const stranger = await taskWithEvents();
    const refused = await fetch(`${api.baseURL}/api/v1/tasks/${task.id}/events`, { headers: { cookie: stranger.cookie } });
    expect(refused.status).toBe(404);
  });

  it("ends the stream of a client that stops reading, and the client resumes where its last complete event left it", async () => {
    const { team, callers } = await createTeamWithMembers();
    const task = await getDb().task.create({ data: { teamId: team.id, prompt: "flood me" } });
    const { cookie } = await sessionCookie({ userId: callers.viewer.userId!, teamId: team.id });
    let received = "";
    const stalled = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.get(`${api.baseURL}/api/v1/tasks/${task.id}/events`, { headers: { cookie } }, (response) => {
        response.setEncoding("utf8");
        response.pause(); // a client that stops reading: the socket fills, then the stream's queue
        resolve(response);
      });
      request.on("error", reject);
    });
    const deadline = Date.now() + 10_000;
    while (taskEventHubStats().watchers === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(taskEventHubStats().watchers).toBe(1);
    // Far more than the socket buffers and the stream's bound (4 MiB) together hold, unless it is dropped.
    const text = "x".repeat(64 * 1024);
    let appended = 0;
    while (taskEventHubStats().watchers > 0 && appended < 1000) {
      await appendRunEvents(
        task.id,
        Array.from({ length: 10 }, () => ({ type: "agent.delta" as const, payload: { text } })),
      );
      appended += 10;
    }
    expect(taskEventHubStats().watchers).toBe(0); // dropped: nothing more is queued for it
    expect(appended).toBeLessThan(1000);

    // It reads again: what it gets is whole events, then the end of the response.
    stalled.on("data", (chunk: string) => (received += chunk));
    stalled.resume();
    await new Promise((resolve) => stalled.once("end", resolve));
    expect(received.endsWith("\n\n")).toBe(true);
    const lastId = Math.max(...ids(received));
    expect(ids(received)).toEqual(Array.from({ length: lastId }, (_, index) => index + 1));
    expect(lastId).toBeLessThan(appended);

    // Reconnecting with Last-Event-ID, as EventSource does: the rest, nothing twice.
    await appendRunEvent(task.id, "task.completed");
    const rest = await fetch(`${api.baseURL}/api/v1/tasks/${task.id}/events`, { headers: { cookie, "last-event-id": String(lastId) } });
    expect(ids(await rest.text())).toEqual(Array.from({ length: appended + 1 - lastId }, (_, index) => lastId + 1 + index));
  });
});
