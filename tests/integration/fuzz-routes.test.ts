import fc from "fast-check";
import type { z } from "zod";
import { beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "@/server/api/root";
import { createApiKey } from "@/server/auth/api-keys";
import { restRoutes } from "@/server/http/rest-routes";
import { createTask } from "@/server/tasks/tasks";
import { getPool } from "@/server/db/client";
import { updateTeamRateLimits } from "@/server/rate-limit";
import { hasLoneSurrogate } from "@/server/text/cut-text";
import { createTeamWithMembers, useEmbeddedExecutor } from "../support/fixtures";
import { sessionCookie, useApiServer } from "../support/api-server";
import { assertProperty, bodiesFor, hostileString, hostileValue, percentEncode } from "../support/hostile-input";

/**
 * 10,000 generated requests across every REST route and tRPC procedure, their bodies drawn from
 * the routes' own zod schemas and from hostile input (astral and huge strings, lone surrogates,
 * NUL, deep nesting, wrong types), with odd methods, content types, path segments and
 * credentials. Not one may be answered with a 5xx, and every error must be JSON in the
 * documented shape — `{ error: { code, message, field? } }` for REST, tRPC's envelope for tRPC.
 * No executor runs here: created tasks stay queued.
 */
useEmbeddedExecutor();
const api = useApiServer();
const RUNS = { rest: 7_000, trpc: 3_000 };

const ERROR_CODES = [
  "bad_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "unavailable",
];
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"];
const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  undefined,
];

let taskId = "";
let credentials: Array<Record<string, string>> = [];

beforeAll(async () => {
  const { team, callers } = await createTeamWithMembers();
  // Limits this team will not reach, so the requests exercise everything past the limiter.
  const unlimited = { limit: 1_000_000, windowMs: 60_000 };
  await updateTeamRateLimits(team.id, { set: { spend: unlimited, write: unlimited, read: unlimited } });
  taskId = (await createTask(callers.user, { prompt: "A task to aim at", requireApproval: true })).id;
  const key = async (role: "admin" | "user" | "viewer") => `Bearer ${(await createApiKey({ teamId: team.id, role, name: role })).key}`;
  const admin = await key("admin");
  const { cookie } = await sessionCookie({ userId: callers.admin.userId!, teamId: team.id });
  credentials = [
    { authorization: admin },
    { authorization: admin },
    { authorization: admin },
    { authorization: await key("viewer") },
    { authorization: "Bearer chorus_zzzzzzzz_not-a-real-key-at-all-0000000000" },
    { authorization: "Basic abc" },
    { cookie, origin: api.baseURL },
    {},
  ];
});

/** A path segment: the real task, or something else, percent-encoded (and sometimes not validly). */
const segment = fc.oneof(
  { weight: 3, arbitrary: fc.constant("TASK") },
  { weight: 2, arbitrary: hostileString.map((text) => percentEncode(text.slice(0, 200))) },
  { weight: 1, arbitrary: fc.constantFrom("%zz", "%e2%82", "..", "%2F") },
);

const payload = (value: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 8, arbitrary: value.map((body) => JSON.stringify(body)) },
    { weight: 1, arbitrary: fc.constantFrom("{not json", "", "\u0000", '{"prompt": "a"', "[]", "null", '"\\ud800"') },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  );

/** A value as a query string: an object's fields as parameters (non-strings as JSON), anything else as `v`. */
function queryString(value: unknown): string {
  const fields = typeof value === "object" && value !== null && !Array.isArray(value) ? Object.entries(value) : [["v", value] as const];
  return `?${fields.map(([name, field]) => `${percentEncode(name)}=${percentEncode(typeof field === "string" ? field : (JSON.stringify(field) ?? ""))}`).join("&")}`;
}

function expectDocumentedRestError(status: number, contentType: string | null, text: string, what: string) {
  expect(status, what).toBeLessThan(500);
  if (status < 400) return;
  expect(contentType, what).toContain("application/json");
  if (!text) return; // HEAD
  const body = JSON.parse(text) as { error: { code: string; message: string; field?: unknown } };
  expect(ERROR_CODES, what).toContain(body.error.code);
  expect(typeof body.error.message, what).toBe("string");
  expect(body.error.message.length, what).toBeGreaterThan(0);
  if (body.error.field !== undefined) expect(typeof body.error.field, what).toBe("string");
}

async function send(method: string, path: string, headers: Record<string, string>, body: string | Uint8Array | undefined) {
  const response = await fetch(`${api.baseURL}${path}`, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : (body as BodyInit | undefined),
  });
  const contentType = response.headers.get("content-type");
  const text = contentType?.includes("event-stream") ? (await response.body?.cancel(), "") : await response.text();
  return { status: response.status, contentType, text };
}

describe("generated requests", () => {
  const seen = new Set<number>();
  it(`every REST route: ${RUNS.rest} requests, no 5xx, every error in the documented shape`, async () => {
    // Routes that create something are drawn four times as often: a created answer (201) takes a
    // well-formed body from the right caller, and with a hundred routes a uniform draw may miss it.
    const routeChoice = fc.oneof(
      ...restRoutes.map((route) => ({ weight: route.successStatus === 201 ? 4 : 1, arbitrary: fc.constant(route) })),
    );
    const request = routeChoice.chain((route) =>
      fc.record({
        route: fc.constant(route),
        method: fc.oneof({ weight: 6, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
        segments: fc.array(segment, { minLength: 2, maxLength: 2 }),
        query: fc.oneof(fc.constant(""), (route.query ? bodiesFor(route.query) : hostileValue).map(queryString)),
        contentType: fc.constantFrom(...CONTENT_TYPES),
        body: payload(bodiesFor(route.input)),
        who: fc.nat({ max: 7 }),
      }),
    );
    await assertProperty(
      fc.asyncProperty(request, async ({ route, method, segments, query, contentType, body, who }) => {
        let index = 0;
        const path = route.path.replace(/:\w+/g, () => (segments[index++] === "TASK" ? taskId : segments[index - 1]!));
        const headers = { ...credentials[who]!, ...(contentType ? { "content-type": contentType } : {}) };
        const answer = await send(method, `${path}${query}`, headers, body);
        seen.add(answer.status);
        expectDocumentedRestError(answer.status, answer.contentType, answer.text, `${method} ${path}${query} as #${who}`);
      }),
      { numRuns: RUNS.rest, seed: Number(process.env.FUZZ_SEED ?? 20261208) },
    );
    // The requests reached every stage: accepted, refused as input, unauthenticated, forbidden,
    // not found, wrong method, too large.
    for (const status of [200, 201, 400, 401, 403, 404, 405]) expect([...seen], `status ${status} seen`).toContain(status);
  }, 600_000);

  it(`every tRPC procedure: ${RUNS.trpc} requests, no 5xx, every error in tRPC's envelope or ours`, async () => {
    const procedures = appRouter._def.procedures as unknown as Record<
      string,
      { _def: { type: "query" | "mutation"; inputs: z.ZodType[] } }
    >;
    const request = fc.constantFrom(...Object.keys(procedures)).chain((path) =>
      fc.record({
        path: fc.constant(path),
        input: fc.oneof(
          { weight: 3, arbitrary: bodiesFor(procedures[path]!._def.inputs[0]) },
          { weight: 1, arbitrary: fc.constant({ id: "TASK" }) },
        ),
        contentType: fc.constantFrom(...CONTENT_TYPES),
        who: fc.nat({ max: 7 }),
        raw: fc.option(payload(hostileValue), { freq: 5 }),
      }),
    );
    await assertProperty(
      fc.asyncProperty(request, async ({ path, input, contentType, who, raw }) => {
        const value = JSON.stringify(input ?? null).replaceAll('"TASK"', JSON.stringify(taskId));
        const headers = { ...credentials[who]!, ...(contentType ? { "content-type": contentType } : {}) };
        const answer =
          procedures[path]!._def.type === "query"
            ? await send("GET", `/api/trpc/${path}?input=${percentEncode(typeof raw === "string" ? raw : value)}`, headers, undefined)
            : await send("POST", `/api/trpc/${path}`, headers, raw ?? value);
        const what = `${path} ${value.slice(0, 120)} as #${who}`;
        expect(answer.status, what).toBeLessThan(500);
        if (answer.status < 400) return;
        const body = JSON.parse(answer.text) as { error: { code: unknown; message: string; data?: { httpStatus: number } } };
        expect(typeof body.error.message, what).toBe("string");
        if (typeof body.error.code === "string") expect(ERROR_CODES, what).toContain(body.error.code);
        else expect(body.error.data?.httpStatus, what).toBe(answer.status);
      }),
      { numRuns: RUNS.trpc, seed: Number(process.env.FUZZ_SEED ?? 20261208) },
    );
  }, 600_000);

  it("left only storable text behind", async () => {
    const { rows } = await getPool().query<{ prompt: string }>(`SELECT prompt FROM "Task"`);
    for (const { prompt } of rows) expect(hasLoneSurrogate(prompt)).toBe(false);
  });
});
