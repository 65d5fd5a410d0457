import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getDb, getPool } from "@/server/db/client";
import { appendRunEvent } from "@/server/events/run-events";
import { cancelTask } from "@/server/tasks/task-actions";
import { createTask } from "@/server/tasks/tasks";
import { keyIdOf } from "@/server/secrets/master-keys";
import { rotateStoredSecrets } from "@/server/secrets/stored-secrets";
import { startWebhookRelay } from "@/server/webhooks/delivery-relay";
import { createTeamWithMembers, THREE_AGENT_PROMPT, waitForTaskStatus } from "../support/fixtures";
import { useApiServer } from "../support/api-server";
import { until } from "../support/executor-helpers";

/**
 * Signed webhooks end to end: a real task's status change recorded as a delivery, sent by the
 * durable delivery function through the embedded executor and verified by a local receiver with
 * the `standardwebhooks` verifier (headers + raw body); retries after failures, with every
 * attempt recorded; an executor restart in the middle of the retries; SSRF refusals; a 410
 * disabling the endpoint; and the signing secret never in an answer after creation, never in a
 * log line, and stored encrypted.
 */
process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS ??= "0";
// A short schedule for the test: at once, then 1 s, then 1 s (the default spans a day).
process.env.CHORUS_WEBHOOK_RETRY_DELAYS = "0,1,1";
process.env.LOG_LEVEL = "debug";

const api = useApiServer();

/** Every line written to stdout and stderr while this file runs: no secret may appear in one. */
const output: string[] = [];
const originalWrites = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
const received: Received[] = [];
/** What the receiver answers on each path: a list of statuses taken in turn (the last one repeats). */
const answers = new Map<string, number[]>();
let receiver: Server;
let receiverUrl = "";

let stopExecutor: (() => Promise<void>) | undefined;
let stopRelay: (() => Promise<void>) | undefined;
async function startExecutorNow() {
  const { startExecutor } = await import("@/server/runtime/executor");
  stopExecutor = await startExecutor({ pool: getPool(), concurrency: 8 });
}

let admin: string;
let team: Awaited<ReturnType<typeof createTeamWithMembers>>;
const secrets: string[] = [];

beforeAll(async () => {
  for (const stream of ["stdout", "stderr"] as const) {
    process[stream].write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      output.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return (originalWrites[stream] as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
  }
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "/";
      received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      if (path === "/redirect") return void response.writeHead(307, { location: "/redirected" }).end();
      if (path === "/big") return void response.writeHead(200, { "content-type": "text/plain" }).end("é".repeat(3000));
      const queue = answers.get(path) ?? [200];
      const status = queue.length > 1 ? queue.shift()! : queue[0]!;
      response.writeHead(status, { "content-type": "text/plain" }).end(status >= 300 ? `no thanks (${status})` : "ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  team = await createTeamWithMembers();
  admin = `Bearer ${(await createApiKey({ teamId: team.team.id, role: "admin", name: "webhooks" })).key}`;
  await startExecutorNow();
  stopRelay = startWebhookRelay(50);
});

afterAll(async () => {
  await stopRelay?.();
  await stopExecutor?.();
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  process.stdout.write = originalWrites.stdout;
  process.stderr.write = originalWrites.stderr;
  // The logs scan: nothing written while this file ran holds a signing secret, or its key part.
  const all = output.join("");
  expect(secrets.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    expect(all).not.toContain(secret);
    expect(all).not.toContain(secret.slice("whsec_".length));
  }
});

/** Every answer's text is checked: no secret after the one answer that shows it. */
async function rest(method: string, path: string, body?: unknown, options: { showsSecret?: boolean } = {}) {
  const response = await fetch(`${api.baseURL}${path}`, {
    method,
    headers: { authorization: admin, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!options.showsSecret) for (const secret of secrets) expect(text).not.toContain(secret.slice("whsec_".length));
  return { status: response.status, json: JSON.parse(text) as Record<string, unknown> };
}

async function createEndpoint(path: string, events: string[]) {
  const created = await rest(
    "POST",
    "/api/v1/webhooks",
    { url: `${receiverUrl}${path}`, description: `receiver ${path}`, events },
    { showsSecret: true },
  );
  expect(created.status).toBe(201);
  const { endpoint, secret } = created.json as unknown as { endpoint: { id: string }; secret: string };
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  secrets.push(secret);
  return { id: endpoint.id, secret };
}

interface DeliveryView {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  responseStatus: number | null;
  durationMs: number | null;
  responseExcerpt: string | null;
  error: string | null;
  nextAttemptAt: string | null;
  taskId: string | null;
}

async function deliveriesOf(endpointId: string): Promise<DeliveryView[]> {
  const answer = await rest("GET", `/api/v1/webhooks/${endpointId}/deliveries`);
  expect(answer.status).toBe(200);
  return (answer.json as unknown as { deliveries: DeliveryView[] }).deliveries;
}

const finished = (endpointId: string, eventType: string) =>
  until(
    async () => (await deliveriesOf(endpointId)).find((delivery) => delivery.eventType === eventType && delivery.status !== "pending"),
    30_000,
    `a finished ${eventType} delivery`,
  );

/** The receiver's requests on `path`, each verified with the endpoint's secret as a receiver would. */
function verifiedOn(path: string, secret: string) {
  return received
    .filter((request) => request.path === path)
    .map((request) => ({
      headers: request.headers,
      payload: new Webhook(secret).verify(request.body, request.headers as Record<string, string>) as {
        type: string;
        timestamp: string;
        data: Record<string, unknown>;
      },
    }));
}

describe("destinations (SSRF)", () => {
  it("refuses loopback, private and link-local addresses unless the team allows private ones; metadata always", async () => {
    for (const url of [`${receiverUrl}/x`, "http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data", "http://[::1]:9/hook"]) {
      const answer = await rest("POST", "/api/v1/webhooks", { url, events: ["task.completed"] });
      expect(answer.status, url).toBe(400);
      expect(answer.json.error).toMatchObject({ code: "bad_request", field: "url" });
    }
    // A name resolving to loopback passes registration (DNS is checked when sending) and is refused when sent.
    const named = await rest(
      "POST",
      "/api/v1/webhooks",
      { url: `${receiverUrl.replace("127.0.0.1", "localhost")}/named`, events: ["task.completed"] },
      { showsSecret: true },
    );
    expect(named.status).toBe(201);
    secrets.push((named.json as unknown as { secret: string }).secret);
    const endpointId = (named.json as unknown as { endpoint: { id: string } }).endpoint.id;
    const test = await rest("POST", `/api/v1/webhooks/${endpointId}/test`);
    expect(test.json).toMatchObject({ status: "failed", responseStatus: null, attempts: 1 });
    expect(String(test.json.error)).toMatch(/loopback/);
    expect(received.filter((request) => request.path === "/named")).toHaveLength(0);

    expect((await rest("PUT", "/api/v1/settings/webhooks", { allowPrivateDestinations: true })).json).toEqual({
      allowPrivateDestinations: true,
    });
    const metadata = await rest("POST", "/api/v1/webhooks", { url: "http://169.254.169.254/latest", events: ["task.completed"] });
    expect(metadata.status).toBe(400);
    const retried = await rest("POST", `/api/v1/webhooks/${endpointId}/test`);
    expect(retried.json).toMatchObject({ status: "succeeded", responseStatus: 200 });
  });
});

describe("deliveries", () => {
  it("sends a completed task's event, signed so that standardwebhooks verifies it, and lists the delivery", async () => {
    const { id, secret } = await createEndpoint("/completed", ["task.completed", "task.failed"]);
    const task = await createTask(team.callers.user, { prompt: THREE_AGENT_PROMPT });
    await waitForTaskStatus(task.id, ["completed"]);
    const delivery = await finished(id, "task.completed");
    expect(delivery).toMatchObject({
      status: "succeeded",
      attempts: 1,
      responseStatus: 200,
      responseExcerpt: "ok",
      taskId: task.id,
      nextAttemptAt: null,
    });
    expect(delivery.durationMs).toBeGreaterThanOrEqual(0);

    const [request, ...others] = verifiedOn("/completed", secret);
    expect(others).toHaveLength(0);
    expect(request!.payload.type).toBe("task.completed");
    expect(request!.payload.data).toMatchObject({
      taskId: task.id,
      status: "completed",
      links: { task: expect.stringContaining(`/tasks/${task.id}`) },
    });
    expect(String(request!.payload.data.resultExcerpt)).toMatch(/community garden/i);
    expect(String(request!.payload.data.promptExcerpt)).toBe(THREE_AGENT_PROMPT);
    // Signed by this endpoint's secret only: another secret does not verify it.
    const raw = received.find((candidate) => candidate.path === "/completed")!;
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 7).toString("base64")}`).verify(raw.body, raw.headers as Record<string, string>),
    ).toThrow();
    expect(raw.headers["webhook-id"]).toMatch(/^msg_/);
  });

  it("retries a receiver that fails twice, recording each attempt, until it answers 2xx", async () => {
    const { id, secret } = await createEndpoint("/flaky", ["task.awaiting_approval", "task.cancelled"]);
    answers.set("/flaky", [503, 500, 204]);
    const task = await createTask(team.callers.user, { prompt: "Plan something that needs approval.", requireApproval: true });
    await waitForTaskStatus(task.id, ["awaiting_approval"]);
    const delivery = await finished(id, "task.awaiting_approval");
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 3, responseStatus: 204 });
    const attempts = await getDb().webhookAttempt.findMany({ where: { deliveryId: delivery.id }, orderBy: { attempt: "asc" } });
    expect(attempts.map((attempt) => [attempt.attempt, attempt.statusCode, attempt.error])).toEqual([
      [1, 503, "HTTP 503"],
      [2, 500, "HTTP 500"],
      [3, 204, null],
    ]);
    expect(attempts[0]!.responseExcerpt).toBe("no thanks (503)");
    const requests = verifiedOn("/flaky", secret);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((request) => request.headers["webhook-id"])).size).toBe(1);

    // Cancelling it is an event of its own.
    await cancelTask(team.callers.user, task.id);
    expect(await finished(id, "task.cancelled")).toMatchObject({ status: "succeeded", taskId: task.id });
  });

  it("resumes the retries after the executor restarts in the middle of them: nothing lost", async () => {
    const { id, secret } = await createEndpoint("/restart", ["task.awaiting_approval"]);
    answers.set("/restart", [500, 200]);
    // A longer pause before attempt 2, so that the executor is surely stopped within it (read when the run starts).
    process.env.CHORUS_WEBHOOK_RETRY_DELAYS = "0,2,1";
    const task = await createTask(team.callers.user, { prompt: "Plan something else that needs approval.", requireApproval: true });
    await until(async () => (await deliveriesOf(id)).find((delivery) => delivery.attempts === 1), 30_000, "the first attempt");
    process.env.CHORUS_WEBHOOK_RETRY_DELAYS = "0,1,1";
    // Chorus stops while the delivery sleeps before its second attempt…
    await stopExecutor!();
    const sleeping = await getPool().query(`SELECT 1 FROM "WorkflowWait" WHERE kind = 'sleep'`);
    expect(sleeping.rowCount).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(received.filter((request) => request.path === "/restart")).toHaveLength(1);
    expect((await deliveriesOf(id))[0]).toMatchObject({ status: "pending", attempts: 1 });
    // …and a new executor picks the stored sleep up and makes the second attempt.
    await startExecutorNow();
    const delivery = await finished(id, "task.awaiting_approval");
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 2, taskId: task.id });
    expect(verifiedOn("/restart", secret)).toHaveLength(2);
  });

  it("follows no redirect, and keeps only the first 1 KB of an answer", async () => {
    const redirecting = await createEndpoint("/redirect", ["task.completed"]);
    const redirected = await rest("POST", `/api/v1/webhooks/${redirecting.id}/test`);
    expect(redirected.json).toMatchObject({ status: "failed", responseStatus: 307, error: "HTTP 307" });
    expect(received.filter((request) => request.path === "/redirected")).toHaveLength(0);

    const big = await createEndpoint("/big", ["task.completed"]);
    const answer = await rest("POST", `/api/v1/webhooks/${big.id}/test`);
    expect(answer.json).toMatchObject({ status: "succeeded", responseStatus: 200 });
    const excerpt = String(answer.json.responseExcerpt);
    expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(1024);
    expect(excerpt).toBe("é".repeat(512));
  });

  it("disables an endpoint that answers 410 Gone, and says so", async () => {
    const { id } = await createEndpoint("/gone", ["task.completed"]);
    answers.set("/gone", [410]);
    const test = await rest("POST", `/api/v1/webhooks/${id}/test`);
    expect(test.json).toMatchObject({ eventType: "webhook.test", status: "failed", responseStatus: 410, attempts: 1 });
    const endpoint = await rest("GET", `/api/v1/webhooks/${id}`);
    expect(endpoint.json).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/410 Gone/) });
    // Enabling it again is the admin's call, and clears the reason.
    expect((await rest("PUT", `/api/v1/webhooks/${id}`, { enabled: true })).json).toMatchObject({ enabled: true, disabledReason: null });
  });

  it("records the team's 80% monthly budget warning as a team.budget_warning delivery", async () => {
    const { id, secret } = await createEndpoint("/budget", ["team.budget_warning"]);
    const task = await createTask(team.callers.user, { prompt: "Plan something that waits.", requireApproval: true });
    await appendRunEvent(task.id, "task.budget_warning", {
      scope: "team",
      monthlyBudgetUsd: 10,
      spentUsd: 8.5,
      reservedUsd: 0,
      share: 0.8,
    });
    // A task's own 80% warning is not a team event.
    await appendRunEvent(task.id, "task.budget_warning", { scope: "task", maxCostUsd: 1, spentUsd: 0.8, share: 0.8 });
    await finished(id, "team.budget_warning");
    const [request, ...others] = verifiedOn("/budget", secret);
    expect(others).toHaveLength(0);
    expect(request!.payload).toMatchObject({
      type: "team.budget_warning",
      data: { taskId: task.id, monthlyBudgetUsd: 10, spentUsd: 8.5, share: 0.8 },
    });
  });

  it("redelivers a finished delivery with the same webhook-id", async () => {
    const { id, secret } = await createEndpoint("/again", ["task.completed"]);
    const test = await rest("POST", `/api/v1/webhooks/${id}/test`);
    expect(test.json).toMatchObject({ status: "succeeded" });
    const again = await rest("POST", `/api/v1/webhooks/${id}/deliveries/${String(test.json.id)}/redeliver`);
    expect(again.status).toBe(202);
    await until(
      async () => (await deliveriesOf(id)).find((delivery) => delivery.id === again.json.id && delivery.status === "succeeded"),
      30_000,
      "the redelivery",
    );
    const requests = verifiedOn("/again", secret);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.headers["webhook-id"]).toBe(requests[0]!.headers["webhook-id"]);
  });
});

describe("the signing secret", () => {
  it("is shown on create and rotate only, stored encrypted, and rotation signs with the new one", async () => {
    const { id, secret } = await createEndpoint("/rotate", ["task.completed"]);
    const stored = await getDb().webhookEndpoint.findUniqueOrThrow({ where: { id } });
    expect(stored.secretEncrypted).toMatch(/^v1:[0-9a-f]{8}:/);
    expect(stored.secretEncrypted).not.toContain(secret.slice("whsec_".length));
    for (const answer of [await rest("GET", "/api/v1/webhooks"), await rest("GET", `/api/v1/webhooks/${id}`)]) {
      expect(JSON.stringify(answer.json)).not.toMatch(/whsec_|secretEncrypted/);
    }
    const rotated = await rest("POST", `/api/v1/webhooks/${id}/rotate-secret`, undefined, { showsSecret: true });
    const newSecret = (rotated.json as unknown as { secret: string }).secret;
    secrets.push(newSecret);
    expect(newSecret).not.toBe(secret);
    await rest("POST", `/api/v1/webhooks/${id}/test`);
    const raw = received.filter((request) => request.path === "/rotate").at(-1)!;
    expect(() => new Webhook(newSecret).verify(raw.body, raw.headers as Record<string, string>)).not.toThrow();
    expect(() => new Webhook(secret).verify(raw.body, raw.headers as Record<string, string>)).toThrow();
  });

  it("is re-encrypted by a master key rotation (chorus secrets rotate) and signs as before", async () => {
    const { id, secret } = await createEndpoint("/master-key", ["task.completed"]);
    const oldKey = process.env.CHORUS_MASTER_KEY!;
    const newKey = randomBytes(32);
    try {
      process.env.CHORUS_MASTER_KEY = newKey.toString("base64");
      process.env.CHORUS_MASTER_KEY_PREVIOUS = oldKey;
      await rotateStoredSecrets();
      delete process.env.CHORUS_MASTER_KEY_PREVIOUS;
      const stored = await getDb().webhookEndpoint.findUniqueOrThrow({ where: { id } });
      expect(stored.secretEncrypted.split(":")[1]).toBe(keyIdOf(newKey));
      expect((await rest("POST", `/api/v1/webhooks/${id}/test`)).json).toMatchObject({ status: "succeeded" });
      const raw = received.filter((request) => request.path === "/master-key").at(-1)!;
      expect(() => new Webhook(secret).verify(raw.body, raw.headers as Record<string, string>)).not.toThrow();
    } finally {
      // Back under the file's key, for whatever is still being delivered.
      process.env.CHORUS_MASTER_KEY = oldKey;
      process.env.CHORUS_MASTER_KEY_PREVIOUS = newKey.toString("base64");
      await rotateStoredSecrets();
      delete process.env.CHORUS_MASTER_KEY_PREVIOUS;
    }
  });
});
