import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, revokeApiKey } from "@/server/auth/api-keys";
import { directRoutesReady, serveTaskReadDirectly } from "@/server/http/direct-task-read";
import { createTask, getTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";

useEmbeddedExecutor();

/**
 * The direct task read answers on a real node:http server like the Next route does (the same
 * body, statuses and headers; compared against a running Next server when it was written) and
 * leaves every request it does not fully understand to Next — here a fallback answering 599.
 */
let server: Server;
let port: number;

beforeAll(async () => {
  expect(await directRoutesReady()).toBe(true);
  server = createServer((req, res) => {
    if (serveTaskReadDirectly(req, res)) return;
    res.writeHead(599).end("next");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function call(path: string, headers: Record<string, string>, method = "GET") {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        const text = res.headers["content-encoding"] === "gzip" ? gunzipSync(raw).toString() : raw.toString();
        resolve({ status: res.statusCode!, headers: res.headers, text });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

describe("GET /api/v1/tasks/{id} served directly", () => {
  it("answers an API key's team with the task view, Next's headers, and gzip when asked", async () => {
    const { team, callers } = await createTeamWithMembers();
    const { key } = await createApiKey({ teamId: team.id, role: "viewer", name: "poller" });
    const task = await createTask(callers.user, { prompt: "Summarise the history of tea" });
    await waitForTaskStatus(task.id, ["completed", "failed"]); // a finished task: both reads see the same rows

    const plain = await call(`/api/v1/tasks/${task.id}`, { authorization: `Bearer ${key}` });
    expect(plain.status).toBe(200);
    const expected = await getTask(callers.viewer, task.id);
    expect(expected.status).toBe("completed");
    expect(JSON.parse(plain.text)).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(plain.headers).toMatchObject({
      "content-type": "application/json",
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "strict-origin-when-cross-origin",
      vary: "rsc, next-router-state-tree, next-router-prefetch, next-router-segment-prefetch, Accept-Encoding",
    });
    expect(plain.headers["content-encoding"]).toBeUndefined();

    const zipped = await call(`/api/v1/tasks/${task.id}?fields=ignored`, { authorization: `bearer ${key}`, "accept-encoding": "gzip, deflate" });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(JSON.parse(zipped.text)).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it("refuses what the Next route refuses, with the same JSON errors", async () => {
    const { team, callers } = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    const { key, record } = await createApiKey({ teamId: team.id, role: "user", name: "mine" });
    const { key: otherKey } = await createApiKey({ teamId: other.team.id, role: "admin", name: "theirs" });
    const task = await createTask(callers.user, { prompt: "Compare two kinds of tea" });

    const badKey = await call(`/api/v1/tasks/${task.id}`, { authorization: "Bearer chorus_aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" });
    expect([badKey.status, JSON.parse(badKey.text)]).toEqual([401, { error: { code: "unauthorized", message: "Invalid API key" } }]);
    const notFound = { error: { code: "not_found", message: "Task not found", field: "id" } };
    const otherTeam = await call(`/api/v1/tasks/${task.id}`, { authorization: `Bearer ${otherKey}` });
    expect([otherTeam.status, JSON.parse(otherTeam.text)]).toEqual([404, notFound]);
    const malformed = await call(`/api/v1/tasks/not-a-task!`, { authorization: `Bearer ${key}` });
    expect([malformed.status, JSON.parse(malformed.text)]).toEqual([404, notFound]);

    expect((await call(`/api/v1/tasks/${task.id}`, { authorization: `Bearer ${key}` })).status).toBe(200);
    await revokeApiKey(team.id, record.id);
    expect((await call(`/api/v1/tasks/${task.id}`, { authorization: `Bearer ${key}` })).status).toBe(401);
    await waitForTaskStatus(task.id, ["completed", "failed"]);
  });

  it("leaves sessions, other forms and other routes to Next", async () => {
    const { team, callers } = await createTeamWithMembers();
    const { key } = await createApiKey({ teamId: team.id, role: "user", name: "mine" });
    const task = await createTask(callers.user, { prompt: "Outline a tea tasting" });
    const bearer = { authorization: `Bearer ${key}` };
    const toNext = [
      await call(`/api/v1/tasks/${task.id}`, { cookie: "authjs.session-token=x" }),
      await call(`/api/v1/tasks/${task.id}`, { authorization: "Basic abc" }),
      await call(`/api/v1/tasks/${task.id}/`, bearer),
      await call(`/api/v1/tasks/${task.id}/cancel`, bearer),
      await call(`/api/v1/tasks`, bearer),
      await call(`/api/v1/tasks/${task.id}`, bearer, "HEAD"),
      await call(`/api/v1/tasks/${task.id}`, bearer, "POST"),
      await call(`/api/v1/tasks/${task.id}`, { ...bearer, "accept-encoding": "br" }),
      await call(`/api/v1/tasks/${task.id}`, { ...bearer, "accept-encoding": "gzip;q=0, identity" }),
      await call(`/api/v1/tasks/%E0%A4%A`, bearer),
    ];
    expect(toNext.map((answer) => answer.status)).toEqual(toNext.map(() => 599));
    await waitForTaskStatus(task.id, ["completed", "failed"]);
  });
});
