import { connect } from "node:net";
import { request as httpRequest } from "node:http";
import { describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getDb } from "@/server/db/client";
import { deleteSession } from "@/server/db/queries/sessions";
import { MAX_BODY_BYTES } from "@/server/http/request-body";
import { updateTeamRateLimits } from "@/server/rate-limit";
import { TRPC_MAX_BATCH_SIZE as MAX_BATCH_SIZE } from "@/server/api/batch-limit";
import { createTeamWithMembers, useEmbeddedExecutor } from "../support/fixtures";
import { sessionCookie, useApiServer } from "../support/api-server";

useEmbeddedExecutor();
const api = useApiServer();

/**
 * The protections every API path gets from the front door, over real HTTP: cross-site browser
 * writes refused, bodies read only after the permission check and never past the cap, tRPC
 * batches capped, odd methods and targets refused with JSON, signed-out cookies refused.
 */
async function member(role: "user" | "viewer" = "user") {
  const { team, callers } = await createTeamWithMembers();
  const { cookie, sessionId } = await sessionCookie({ userId: callers[role].userId!, teamId: team.id });
  const key = (await createApiKey({ teamId: team.id, role, name: role })).key;
  return { team, cookie, sessionId, key };
}

const taskCount = (teamId: string) => getDb().task.count({ where: { teamId } });

describe("browser writes authenticated by the session cookie", () => {
  it("a form another site posts (text/plain, or JSON from another origin) creates nothing", async () => {
    const { team, cookie } = await member();
    const forged: Array<Record<string, string>> = [
      { "content-type": "text/plain", origin: "http://127.0.0.1:9999" },
      { "content-type": "application/x-www-form-urlencoded", origin: api.baseURL },
      { "content-type": "application/json", origin: "http://127.0.0.1:9999" },
      { "content-type": "application/json", origin: "null" },
      { "content-type": "application/json" },
      { "content-type": "application/json", "sec-fetch-site": "same-site" },
    ];
    for (const headers of forged) {
      const response = await fetch(`${api.baseURL}/api/v1/tasks`, {
        method: "POST",
        headers: { cookie, ...headers },
        body: '{"prompt":"forged"}',
      });
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect((await response.json()).error).toMatchObject({ code: "forbidden", field: expect.stringMatching(/^(origin|content-type)$/) });
    }
    expect(await taskCount(team.id)).toBe(0);
  });

  it("an empty cross-site POST does not cancel a task; the same request from Chorus's page does", async () => {
    const { team, cookie } = await member();
    const created = await fetch(`${api.baseURL}/api/v1/tasks`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", origin: api.baseURL },
      body: JSON.stringify({ prompt: "Plan a picnic", requireApproval: true }),
    });
    expect(created.status).toBe(201);
    const { id } = await created.json();
    const forged = await fetch(`${api.baseURL}/api/v1/tasks/${id}/cancel`, {
      method: "POST",
      headers: { cookie, origin: "http://localhost:1234" },
    });
    expect(forged.status).toBe(403);
    expect((await getDb().task.findUniqueOrThrow({ where: { id } })).status).not.toBe("cancelled");
    const own = await fetch(`${api.baseURL}/api/v1/tasks/${id}/cancel`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", "sec-fetch-site": "same-origin" },
    });
    expect(own.status).toBe(200);
    expect((await own.json()).status).toBe("cancelled");
    expect(await taskCount(team.id)).toBe(1);
  });

  it("tRPC refuses the same forgeries; an API key needs neither Origin nor a browser", async () => {
    const { team, cookie, key } = await member();
    const forged = await fetch(`${api.baseURL}/api/trpc/task.create`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", origin: "http://evil.test" },
      body: JSON.stringify({ prompt: "forged" }),
    });
    expect(forged.status).toBe(403);
    expect(await taskCount(team.id)).toBe(0);
    const withKey = await fetch(`${api.baseURL}/api/v1/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
      body: '{"prompt":"from a script"}',
    });
    expect(withKey.status).toBe(201);
    expect(await taskCount(team.id)).toBe(1);
  });

  it("a signed-out session's cookie is refused at once", async () => {
    const { cookie, sessionId } = await member();
    expect((await fetch(`${api.baseURL}/api/v1/tasks`, { headers: { cookie } })).status).toBe(200);
    await deleteSession(sessionId);
    const after = await fetch(`${api.baseURL}/api/v1/tasks`, { headers: { cookie } });
    expect(after.status).toBe(401);
    expect((await fetch(`${api.baseURL}/api/trpc/task.list`, { headers: { cookie } })).status).toBe(401);
  });
});

/** Sends headers now and the body only when `sendBody` is called; resolves with the answer. */
function slowUpload(path: string, headers: Record<string, string>) {
  let sent = 0;
  let answered = false;
  const req = httpRequest(`${api.baseURL}${path}`, { method: "POST", headers });
  const response = new Promise<{ status: number; body: string; sentBeforeAnswer: number }>((resolve, reject) => {
    req.on("response", (res) => {
      answered = true;
      const sentBeforeAnswer = sent;
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body, sentBeforeAnswer }));
    });
    req.on("error", (error) => (answered ? undefined : reject(error)));
  });
  req.flushHeaders();
  const sendBody = async (totalBytes: number) => {
    const chunk = Buffer.alloc(64 * 1024, "a");
    while (sent < totalBytes && !answered && !req.destroyed) {
      await new Promise<void>((resolve) => (req.write(chunk) ? resolve() : req.once("drain", resolve)));
      sent += chunk.length;
    }
    req.end();
  };
  return { response, sendBody };
}

describe("request bodies", () => {
  it("a caller without the permission is refused before any of the body is read", async () => {
    const { key, team } = await member("viewer");
    const upload = slowUpload("/api/v1/tasks", {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      "transfer-encoding": "chunked",
    });
    const answer = await upload.response; // no body sent yet
    expect(answer.status).toBe(403);
    expect(answer.sentBeforeAnswer).toBe(0);
    void upload.sendBody(0);
    expect(await taskCount(team.id)).toBe(0);
  });

  it("a body past the cap is a 413 as soon as it passes it, not after the whole upload", async () => {
    const { key } = await member();
    const declared = await fetch(`${api.baseURL}/api/v1/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "x".repeat(MAX_BODY_BYTES) }),
    });
    expect(declared.status).toBe(413);
    expect((await declared.json()).error).toMatchObject({ code: "payload_too_large", field: "body" });

    const upload = slowUpload("/api/v1/tasks", {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      "transfer-encoding": "chunked",
    });
    void upload.sendBody(600 * 1024 * 1024);
    const answer = await upload.response;
    expect(answer.status).toBe(413);
    expect(answer.sentBeforeAnswer).toBeLessThan(16 * 1024 * 1024);
  });

  it("tRPC caps its bodies the same way, and a batch at MAX_BATCH_SIZE calls", async () => {
    const { key, team } = await member();
    const authorization = `Bearer ${key}`;
    const huge = await fetch(`${api.baseURL}/api/trpc/task.create`, {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "y".repeat(MAX_BODY_BYTES) }),
    });
    expect(huge.status).toBe(413);

    const batch = (size: number) => {
      const paths = Array.from({ length: size }, () => "task.create").join(",");
      const input = Object.fromEntries(Array.from({ length: size }, (_, index) => [index, { prompt: `batched ${index}` }]));
      return fetch(`${api.baseURL}/api/trpc/${paths}?batch=1`, {
        method: "POST",
        headers: { authorization, "content-type": "application/json" },
        body: JSON.stringify(input),
      });
    };
    expect((await batch(MAX_BATCH_SIZE + 1)).status).toBe(400);
    expect(await taskCount(team.id)).toBe(0);
    expect((await batch(2)).status).toBe(200);
    expect(await taskCount(team.id)).toBe(2);
  });
});

describe("rate limits", () => {
  it("a third task in the hour is a 429 with Retry-After and RateLimit-*, and is not created; reads say what is left", async () => {
    const { team, key, cookie } = await member();
    await updateTeamRateLimits(team.id, { set: { spend: { limit: 2, windowMs: 3_600_000 }, read: { limit: 5, windowMs: 60_000 } } });
    const create = () =>
      fetch(`${api.baseURL}/api/v1/tasks`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: '{"prompt":"Plan a picnic"}',
      });
    const first = await create();
    expect(first.status).toBe(201);
    expect(first.headers.get("ratelimit-limit")).toBe("2");
    expect(first.headers.get("ratelimit-remaining")).toBe("1");
    expect((await create()).status).toBe(201);
    const refused = await create();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
    expect((await refused.json()).error).toMatchObject({ code: "rate_limited" });
    expect(await taskCount(team.id)).toBe(2);

    // Over tRPC the same limit holds, with the same headers; a signed-in member has limits of their own.
    const viaTrpc = await fetch(`${api.baseURL}/api/trpc/task.create`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: '{"prompt":"Plan a picnic"}',
    });
    expect(viaTrpc.status).toBe(429);
    expect(Number(viaTrpc.headers.get("retry-after"))).toBeGreaterThan(0);
    const asMember = await fetch(`${api.baseURL}/api/v1/tasks`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", origin: api.baseURL },
      body: '{"prompt":"Plan a picnic"}',
    });
    expect(asMember.status).toBe(201);
    expect(await taskCount(team.id)).toBe(3);

    const reads = [];
    for (let index = 0; index < 6; index++)
      reads.push(await fetch(`${api.baseURL}/api/v1/tasks?limit=1`, { headers: { authorization: `Bearer ${key}` } }));
    expect(reads.map((read) => read.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(reads[0]!.headers.get("ratelimit-remaining")).toBe("4");
  });
});

/** A raw HTTP/1.1 exchange, for request lines fetch will not send. */
function rawRequest(requestLine: string): Promise<string> {
  const { hostname, port } = new URL(api.baseURL);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      socket.write(`${requestLine}\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`),
    );
    let text = "";
    socket.on("data", (chunk) => (text += chunk.toString()));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

describe("what no route serves", () => {
  it("TRACE is a JSON 405 and a `*` target a JSON 400, on any path", async () => {
    const trace = await rawRequest("TRACE /api/v1/tasks HTTP/1.1");
    expect(trace).toMatch(/^HTTP\/1\.1 405/);
    expect(trace).toMatch(/content-type: application\/json/i);
    expect(trace).toContain('"code":"method_not_allowed"');
    expect(await rawRequest("TRACE /tasks HTTP/1.1")).toMatch(/^HTTP\/1\.1 405/);
    const star = await rawRequest("OPTIONS * HTTP/1.1");
    expect(star).toMatch(/^HTTP\/1\.1 400/);
    expect(star).toContain('"field":"path"');
  });

  it("any path under /api that is no endpoint is a JSON 404 naming it; next-auth and Inngest keep theirs", async () => {
    for (const path of [
      "/api",
      "/api/",
      "/api/nothing",
      "/api/tasks",
      "/api/tasks/x/y",
      "/api/v2/tasks",
      "/api/v1/tasks/x/pause",
      "/api/trpcx",
      "/api/inngest/x",
      "/api/auth",
    ]) {
      const response = await fetch(`${api.baseURL}${path}`);
      expect(response.status, path).toBe(404);
      expect((await response.json()).error, path).toMatchObject({ code: "not_found", field: "path" });
    }
    for (const path of ["/api/auth/session", "/api/auth/callback/credentials", "/api/inngest", "/api/inngest?fnId=x", "/tasks"])
      expect((await fetch(`${api.baseURL}${path}`)).status, path).toBe(599);
  });

  it("HSTS only when the request came over TLS (here: through a proxy that says so)", async () => {
    expect((await fetch(`${api.baseURL}/api/health`)).headers.get("strict-transport-security")).toBeNull();
    const overTls = await fetch(`${api.baseURL}/api/health`, { headers: { "x-forwarded-proto": "https" } });
    expect(overTls.headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
  });
});

describe("connections", () => {
  it("an error answer to a request that fully arrived keeps the connection open for the next request", async () => {
    const { hostname, port } = new URL(api.baseURL);
    const answers = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () =>
        socket.write(
          `GET /api/v1/tasks HTTP/1.1\r\nHost: ${hostname}\r\n\r\n` + // 401: no credentials
            `GET /api/nothing HTTP/1.1\r\nHost: ${hostname}\r\n\r\n` + // 404
            `GET /api/health HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`,
        ),
      );
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answers.match(/HTTP\/1\.1 \d{3}/g)).toEqual(["HTTP/1.1 401", "HTTP/1.1 404", "HTTP/1.1 200"]);
  });
});
