import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTeamWithMembers, expectCancelStopsTaskMidStream, expectCompletedThreeAgentTask, THREE_AGENT_PROMPT, waitForTaskStatus } from "../support/fixtures";
import { type InngestDriver, startInngestDriver } from "../support/inngest-server-driver";

/**
 * Chorus in server mode (INNGEST_MODE=server), end to end: its real `/api/inngest` route
 * (`serve()` from `inngest/next`) served over HTTP, synced to and driven by a stand-in Inngest
 * server speaking Inngest's protocol, with the real coordinator invoking the real agents on the
 * offline model. Chorus sends its events to that server's event API, as it would to Inngest.
 */
const SIGNING_KEY = `signkey-test-${"c0".repeat(32)}`;
const EVENT_KEY = "chorus-test-event-key";

let driver: InngestDriver;
let app: Server;
let tasks: typeof import("@/server/tasks/tasks");
let actions: typeof import("@/server/tasks/task-actions");

async function readBody(request: IncomingMessage) {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  driver = await startInngestDriver({ signingKey: SIGNING_KEY, eventKey: EVENT_KEY, checkpointing: true });
  // What a deployment sets (docs/server-mode.md); read when the Inngest client is created, so before importing Chorus.
  Object.assign(process.env, {
    INNGEST_MODE: "server",
    INNGEST_BASE_URL: driver.baseUrl,
    INNGEST_EVENT_KEY: EVENT_KEY,
    INNGEST_SIGNING_KEY: SIGNING_KEY,
    CHORUS_OFFLINE_TOKEN_DELAY_MS: "0",
  });
  const route = await import("@/app/api/inngest/route");
  tasks = await import("@/server/tasks/tasks");
  actions = await import("@/server/tasks/task-actions");

  // The Next.js route handlers, mounted on a plain HTTP server.
  const handlers: Record<string, (request: Request) => Promise<Response>> = {
    GET: route.GET as never,
    POST: route.POST as never,
    PUT: route.PUT as never,
  };
  app = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const headers = new Headers();
      for (const [key, value] of Object.entries(request.headers)) if (typeof value === "string") headers.set(key, value);
      const url = `http://${request.headers.host}${request.url}`;
      const answer = await handlers[request.method!]!(new Request(url, { method: request.method, headers, body: body.length > 0 ? body : undefined }));
      response.writeHead(answer.status, Object.fromEntries(answer.headers));
      response.end(Buffer.from(await answer.arrayBuffer()));
    })();
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => app?.close(() => resolve()));
  await driver?.close();
});

describe("Chorus in server mode, driven over Inngest's protocol", () => {
  it("syncs the coordinator and every agent function at /api/inngest", async () => {
    const synced = await driver.sync(`http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest`);
    expect(synced).toEqual(expect.arrayContaining(["chorus-coordinator", "chorus-agent-research", "chorus-agent-analysis", "chorus-agent-synthesis", "chorus-agent-custom"]));
  });

  it("runs a task: the coordinator plans, invokes research → analysis → synthesis, and completes it", async () => {
    const { callers } = await createTeamWithMembers();
    const created = await tasks.createTask(callers.user, { prompt: THREE_AGENT_PROMPT });
    await waitForTaskStatus(created.id, ["completed", "failed"]);

    const task = await tasks.getTask(callers.viewer, created.id);
    expectCompletedThreeAgentTask(task);

    // The task is stored completed by the coordinator's last step; its run completes just after.
    const deadline = Date.now() + 5_000;
    while (driver.runs.some((run) => run.status === "running") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const runs = driver.runs.map((run) => [run.functionId, run.status, run.retries]);
    expect(runs).toEqual([
      ["chorus-coordinator", "completed", 0],
      ["chorus-agent-research", "completed", 0],
      ["chorus-agent-analysis", "completed", 0],
      ["chorus-agent-synthesis", "completed", 0],
    ]);
    expect(driver.problems).toEqual([]);
  });

  it("cancels a running task: the server cancels its runs (cancelOn) and the agent's model call is aborted mid-stream", async () => {
    const { callers } = await createTeamWithMembers();
    const taskId = await expectCancelStopsTaskMidStream(callers, { createTask: tasks.createTask, getTask: tasks.getTask, cancelTask: actions.cancelTask });

    // Chorus sent `chorus/task.cancelled` to the server's event API; the coordinator's and the
    // streaming agent's `cancelOn` matched it, so the server ended both runs and calls neither again.
    const runsOfTask = driver.runs.filter((run) => (run.event.data as { taskId?: string }).taskId === taskId);
    expect(runsOfTask.map((run) => [run.functionId, run.status])).toEqual([
      ["chorus-coordinator", "cancelled"],
      ["chorus-agent-research", "cancelled"],
    ]);
    // No other task's runs were touched: the rules' `if` compares task ids.
    expect(driver.runs.filter((run) => run.status === "cancelled")).toHaveLength(2);
    expect(driver.problems).toEqual([]);
  });

  it("refuses execution requests that are not signed with the signing key", async () => {
    const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest?fnId=chorus-coordinator&stepId=step`;
    const forged = { event: { name: "chorus/task.created", data: { taskId: "x", teamId: "y" } }, events: [], steps: {}, ctx: { run_id: "forged", attempt: 0 } };
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(forged) });
    expect(response.status).toBe(401);
  });
});
