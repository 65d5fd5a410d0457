import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRunEvents } from "@/server/db/queries/run-events";
import {
  createTeamWithMembers,
  eventTypes,
  expectCancelStopsTaskMidStream,
  expectCompletedThreeAgentTask,
  THREE_AGENT_PROMPT,
  waitForTaskStatus,
} from "../support/fixtures";
import { type DriverRun, type InngestDriver, startInngestDriver } from "../support/inngest-server-driver";

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
      const answer = await handlers[request.method!]!(
        new Request(url, { method: request.method, headers, body: body.length > 0 ? body : undefined }),
      );
      response.writeHead(answer.status, Object.fromEntries(answer.headers));
      response.end(Buffer.from(await answer.arrayBuffer()));
    })();
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
});

/** Polls until `check` holds, failing with `what` after `timeoutMs`. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The driver's runs for one task (the coordinator's event and the agents' invocations carry its id). */
const runsOf = (taskId: string): DriverRun[] => driver.runs.filter((run) => (run.event.data as { taskId?: string }).taskId === taskId);
const coordinatorOf = (taskId: string) => runsOf(taskId).find((run) => run.functionId === "chorus-coordinator");

/** Once the task's runs have all ended (the task is stored final by the coordinator's last step; its run ends just after). */
async function settledRuns(taskId: string) {
  await until(`the runs of ${taskId} to end`, () => runsOf(taskId).length > 0 && runsOf(taskId).every((run) => run.status !== "running"));
  return runsOf(taskId).map((run) => [run.functionId, run.status]);
}

/** A task with requireApproval, once its coordinator waits on the server for the plan decision (so the event can't race the wait). */
async function awaitingApproval(caller: Parameters<typeof tasks.createTask>[0]) {
  const created = await tasks.createTask(caller, { prompt: THREE_AGENT_PROMPT, requireApproval: true });
  await waitForTaskStatus(created.id, ["awaiting_approval"]);
  await until("the coordinator to wait for the plan decision", () => {
    const run = coordinatorOf(created.id);
    return !!run && driver.waiting().some((wait) => wait.runId === run.id);
  });
  const run = coordinatorOf(created.id)!;
  expect(driver.waiting().filter((wait) => wait.runId === run.id)).toEqual([
    { runId: run.id, event: "chorus/task.plan-decided", if: "async.data.taskId == event.data.taskId" },
  ]);
  return { task: await tasks.getTask(caller, created.id), run };
}

afterAll(async () => {
  await new Promise<void>((resolve) => app?.close(() => resolve()));
  await driver?.close();
});

describe("Chorus in server mode, driven over Inngest's protocol", () => {
  it("syncs the coordinator and every agent function at /api/inngest", async () => {
    const synced = await driver.sync(`http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest`);
    expect(synced).toEqual(
      expect.arrayContaining([
        "chorus-coordinator",
        "chorus-agent-research",
        "chorus-agent-analysis",
        "chorus-agent-synthesis",
        "chorus-agent-custom",
      ]),
    );
  });

  it("runs a task: the coordinator plans, invokes research → analysis → synthesis, and completes it", async () => {
    const { callers } = await createTeamWithMembers();
    const created = await tasks.createTask(callers.user, { prompt: THREE_AGENT_PROMPT });
    await waitForTaskStatus(created.id, ["completed", "failed"]);

    const task = await tasks.getTask(callers.viewer, created.id);
    expectCompletedThreeAgentTask(task);

    // The task is stored completed by the coordinator's last step; its run completes just after.
    const deadline = Date.now() + 5_000;
    while (driver.runs.some((run) => run.status === "running") && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
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
    const taskId = await expectCancelStopsTaskMidStream(callers, {
      createTask: tasks.createTask,
      getTask: tasks.getTask,
      cancelTask: actions.cancelTask,
    });

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

  it("refuses an unsigned sync, so a forged Host cannot point the functions elsewhere", async () => {
    const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest`;
    const registered = driver.registrations();
    const attempts: Record<string, string>[] = [
      {},
      { host: "attacker.example", "x-forwarded-host": "attacker.example" },
      { "x-inngest-signature": "t=1&s=forged" },
    ];
    for (const headers of attempts) {
      const response = await fetch(url, { method: "PUT", headers });
      expect(response.status).toBe(401);
    }
    expect(driver.registrations()).toBe(registered);
    // Introspection tells an unsigned caller nothing either.
    expect((await fetch(url)).status).toBe(401);
  });

  it("refuses execution requests that are not signed with the signing key", async () => {
    const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest?fnId=chorus-coordinator&stepId=step`;
    const forged = {
      event: { name: "chorus/task.created", data: { taskId: "x", teamId: "y" } },
      events: [],
      steps: {},
      ctx: { run_id: "forged", attempt: 0 },
    };
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(forged) });
    expect(response.status).toBe(401);
  });
});

describe("plan approval and rerun in server mode", () => {
  it("waits on the server for approval, then runs exactly the plan a person edited", async () => {
    const { callers } = await createTeamWithMembers();
    const { task, run } = await awaitingApproval(callers.user);
    expect(task.executions).toHaveLength(0);
    expect(runsOf(task.id).map((each) => [each.functionId, each.status])).toEqual([["chorus-coordinator", "running"]]);

    const steps = (task.plan as { steps: Array<{ id: string; agent: string; dependsOn: string[] }> }).steps;
    expect(steps.map((step) => step.agent)).toEqual(["research", "analysis", "synthesis"]);
    const research = steps.find((step) => step.agent === "research")!;
    const synthesis = steps.find((step) => step.agent === "synthesis")!;
    const edited = { steps: [research, { ...synthesis, dependsOn: [research.id] }] };

    const approvedAt = Date.now();
    const approved = await actions.approveTask(callers.user, task.id, { plan: edited });
    expect(approved.status).toBe("running");
    // The plan-decided event matched the wait's `if` and resumed it, long before its ten-second timeout.
    await until("the plan-decided event to end the wait", () => !driver.waiting().some((wait) => wait.runId === run.id), 5_000);
    expect(Date.now() - approvedAt).toBeLessThan(5_000);

    await waitForTaskStatus(task.id, ["completed", "failed", "cancelled"]);
    const done = await tasks.getTask(callers.user, task.id);
    expect(done.status).toBe("completed");
    expect(done.plan).toMatchObject({ steps: edited.steps, edited: true });
    expect(done.executions.map((execution) => [execution.stepId, execution.agent, execution.status])).toEqual([
      [research.id, "research", "completed"],
      [synthesis.id, "synthesis", "completed"],
    ]);
    expect((await settledRuns(task.id)).sort()).toEqual([
      ["chorus-agent-research", "completed"],
      ["chorus-agent-synthesis", "completed"],
      ["chorus-coordinator", "completed"],
    ]);
    expect(driver.problems).toEqual([]);
  });

  it("ends a rejected task cancelled with no agent run, and its coordinator run ends instead of waiting", async () => {
    const { callers } = await createTeamWithMembers();
    const { task, run } = await awaitingApproval(callers.user);

    const rejected = await actions.rejectTask(callers.user, task.id, { reason: "Not this quarter" });
    expect(rejected).toMatchObject({ status: "cancelled", error: "Plan rejected: Not this quarter" });

    // The event resumed the wait; the coordinator read the rejection and ended its run.
    const ended = await Promise.race([
      run.done,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the coordinator run is still waiting")), 5_000)),
    ]);
    expect(ended.status).toBe("completed");
    expect(driver.waiting().filter((wait) => wait.runId === run.id)).toEqual([]);
    expect(runsOf(task.id).map((each) => [each.functionId, each.status])).toEqual([["chorus-coordinator", "completed"]]);

    const after = await tasks.getTask(callers.user, task.id);
    expect(after).toMatchObject({ status: "cancelled", error: "Plan rejected: Not this quarter" });
    expect(after.executions).toHaveLength(0);
    expect(await eventTypes(task.id)).not.toContain("agent.started");
    expect(driver.problems).toEqual([]);
  });

  it("reruns a completed task from a step: earlier outputs are reused, only that step and those after it run again", async () => {
    const { callers } = await createTeamWithMembers();
    const original = await tasks.createTask(callers.user, { prompt: THREE_AGENT_PROMPT });
    await waitForTaskStatus(original.id, ["completed", "failed"]);
    const first = await tasks.getTask(callers.user, original.id);
    expectCompletedThreeAgentTask(first);
    await settledRuns(original.id);
    const [research, analysis, synthesis] = first.executions;

    const rerun = await actions.rerunTask(callers.user, original.id, { fromStep: analysis!.stepId });
    expect(rerun).toMatchObject({ parentTaskId: original.id, rerunFromStep: analysis!.stepId });
    await waitForTaskStatus(rerun.id, ["completed", "failed", "cancelled"]);
    const second = await tasks.getTask(callers.user, rerun.id);
    expect(second.status).toBe("completed");
    expect(second.executions.map((execution) => [execution.stepId, execution.agent, execution.status, execution.reusedFromId])).toEqual([
      [research!.stepId, "research", "completed", research!.id],
      [analysis!.stepId, "analysis", "completed", null],
      [synthesis!.stepId, "synthesis", "completed", null],
    ]);
    expect(second.executions.filter((execution) => execution.id === analysis!.id || execution.id === synthesis!.id)).toEqual([]);
    const started = (await readRunEvents(rerun.id)).filter((event) => event.type === "agent.started").map((event) => event.payload.agent);
    expect(started).toEqual(["analysis", "synthesis"]);
    expect((second.result as { markdown: string }).markdown).toMatch(/community garden/i);

    // On the server: one coordinator run, invoking only the analysis and synthesis agents.
    expect(await settledRuns(rerun.id)).toEqual([
      ["chorus-coordinator", "completed"],
      ["chorus-agent-analysis", "completed"],
      ["chorus-agent-synthesis", "completed"],
    ]);
    const originalAfter = await tasks.getTask(callers.user, original.id);
    expect(originalAfter.reruns).toEqual([rerun.id]);
    expect(originalAfter.executions).toEqual(first.executions);
    expect(driver.problems).toEqual([]);
  });
});
