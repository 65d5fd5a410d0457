import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Inngest, NonRetriableError } from "inngest";
import { serve } from "inngest/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPool } from "@/server/db/client";
import { createEmbeddedExecutor, embeddedClientOptions, type EmbeddedExecutor } from "@/inngest/executor";
import { type InngestDriver, startInngestDriver } from "../support/inngest-server-driver";

/**
 * The same functions, run three ways: by the embedded executor, and through the real `serve()`
 * HTTP handler by a driver speaking Inngest's protocol — once as a server that replays the
 * function for every step, once as the current server that lets the SDK checkpoint several
 * steps per request. Every way must run the same steps the same number of times, see the same
 * attempts, and end with the same result. A drift here means the embedded engine no longer
 * behaves as Inngest does (e.g. after an SDK upgrade).
 */
const SIGNING_KEY = `signkey-test-${"5e".repeat(32)}`;
const EVENT_KEY = "contract-event-key";
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

/** What the functions' code did: how often each step body ran and the attempt it saw each time. */
class ExecutionLog {
  readonly attempts: Record<string, number[]> = {};
  ran(label: string, attempt: number) {
    (this.attempts[label] ??= []).push(attempt);
  }
}

function contractFunctions(inngest: Inngest.Any, log: ExecutionLog) {
  const on = (name: string) => [{ event: `contract/${name}` }];
  const add = inngest.createFunction({ id: "add" }, async ({ event, step, attempt }) => {
    const { a, b } = event.data as { a: number; b: number };
    return step.run("sum", () => (log.ran("add:sum", attempt), a + b));
  });
  const refuse = inngest.createFunction({ id: "refuse" }, async ({ step, attempt }) =>
    step.run("refuse", () => {
      log.ran("refuse:refuse", attempt);
      throw new NonRetriableError("the child refuses");
    }),
  );
  return [
    add,
    refuse,
    inngest.createFunction({ id: "sequential", triggers: on("sequential") }, async ({ step, attempt }) => {
      const a = await step.run("a", () => (log.ran("sequential:a", attempt), 1));
      const b = await step.run("b", () => (log.ran("sequential:b", attempt), { value: a + 1 }));
      const c = await step.run("c", () => (log.ran("sequential:c", attempt), undefined));
      return { a, b, c: c ?? "nothing" };
    }),
    inngest.createFunction({ id: "parallel", triggers: on("parallel") }, async ({ step, attempt }) => {
      const parts = await Promise.all(
        ["x", "y", "z"].map((name) => step.run(`part ${name}`, () => (log.ran(`parallel:${name}`, attempt), name.toUpperCase()))),
      );
      return step.run("join", () => (log.ran("parallel:join", attempt), parts.join("")));
    }),
    inngest.createFunction({ id: "flaky", triggers: on("flaky"), retries: 3 }, async ({ step, attempt }) => {
      const value = await step.run("flaky", () => {
        log.ran("flaky:flaky", attempt);
        if (attempt < 2) throw new Error(`transient failure ${attempt}`);
        return `ok on attempt ${attempt}`;
      });
      const after = await step.run("after", () => (log.ran("flaky:after", attempt), attempt));
      return { value, attemptAfter: after };
    }),
    inngest.createFunction({ id: "exhausted", triggers: on("exhausted"), retries: 1 }, async ({ step, attempt }) => {
      try {
        await step.run("doomed", () => {
          log.ran("exhausted:doomed", attempt);
          throw new TypeError("always broken");
        });
        return { caught: null };
      } catch (error) {
        return { caught: { name: (error as Error).name, message: (error as Error).message } };
      }
    }),
    inngest.createFunction({ id: "non-retriable", triggers: on("non-retriable"), retries: 3 }, async ({ step, attempt }) => {
      await step.run("refuse", () => {
        log.ran("non-retriable:refuse", attempt);
        throw new NonRetriableError("no point retrying");
      });
      log.ran("non-retriable:unreachable", attempt);
    }),
    inngest.createFunction({ id: "function-error", triggers: on("function-error"), retries: 2 }, async ({ step, attempt }) => {
      const first = await step.run("first", () => (log.ran("function-error:first", attempt), "stored"));
      log.ran("function-error:body", attempt);
      if (attempt === 0) throw new Error("the function body failed once");
      return { first, attempt };
    }),
    inngest.createFunction({ id: "sleep-and-wait", triggers: on("sleep-and-wait") }, async ({ event, step, attempt }) => {
      const { ticket } = event.data as { ticket: string };
      const before = await step.run("before", () => (log.ran("sleep-and-wait:before", attempt), "before"));
      await step.sleep("nap", "1s");
      const [reply] = await Promise.all([
        step.waitForEvent("wait for reply", { event: "contract/reply", timeout: "1m", if: "async.data.ticket == event.data.ticket" }),
        step.sendEvent("send reply", { name: "contract/reply", data: { ticket, answer: 42 } }),
      ]);
      const after = await step.run("after", () => (log.ran("sleep-and-wait:after", attempt), "after"));
      return { before, answer: reply?.data.answer ?? null, after };
    }),
    // Cancelled by its own event: an event for another ticket does not match the rule's `if`, so
    // "middle" still runs; the matching one ends the run while it waits, so "after" never runs.
    inngest.createFunction(
      {
        id: "cancellable",
        triggers: on("cancellable"),
        cancelOn: [{ event: "contract/stop", if: "async.data.ticket == event.data.ticket", timeout: "1h" }],
      },
      async ({ event, step, attempt }) => {
        const { ticket } = event.data as { ticket: string };
        await step.sendEvent("stop someone else", { name: "contract/stop", data: { ticket: `not-${ticket}` } });
        await step.run("middle", () => log.ran("cancellable:middle", attempt));
        await Promise.all([
          step.waitForEvent("hold", { event: "contract/never", timeout: "1m" }),
          step.sendEvent("stop myself", { name: "contract/stop", data: { ticket } }),
        ]);
        await step.run("after", () => log.ran("cancellable:after", attempt));
        return "not cancelled";
      },
    ),
    inngest.createFunction({ id: "invoker", triggers: on("invoker") }, async ({ step }) => {
      const sum = await step.invoke("add numbers", { function: add, data: { a: 2, b: 3 } });
      let childError: string | null = null;
      try {
        await step.invoke("ask the refuser", { function: refuse, data: {} });
      } catch (error) {
        childError = (error as Error).message;
      }
      return { sum, childError };
    }),
  ];
}

interface Outcome {
  status: string;
  output: unknown;
  error: { name?: string; message?: string } | null;
}

interface Way {
  run(name: string, eventId: string): Promise<Outcome>;
  log: ExecutionLog;
}

const scenarios = [
  "sequential",
  "parallel",
  "flaky",
  "exhausted",
  "non-retriable",
  "function-error",
  "sleep-and-wait",
  "cancellable",
  "invoker",
];

/** Through `serve()` over HTTP, driven by the stand-in Inngest server. */
async function servedWay(checkpointing: boolean): Promise<Way & { driver: InngestDriver; appUrl: string; close(): Promise<void> }> {
  const driver = await startInngestDriver({ signingKey: SIGNING_KEY, eventKey: EVENT_KEY, checkpointing });
  const inngest = new Inngest({
    id: "contract",
    isDev: false,
    signingKey: SIGNING_KEY,
    eventKey: EVENT_KEY,
    baseUrl: driver.baseUrl,
    logger: quiet,
  });
  const log = new ExecutionLog();
  const app: Server = createServer(serve({ client: inngest, functions: contractFunctions(inngest, log) }));
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest`;
  await driver.sync(appUrl);
  return {
    driver,
    appUrl,
    log,
    async run(name, eventId) {
      await inngest.send({ name: `contract/${name}`, id: eventId, data: { ticket: eventId } });
      const run = await driver.finished(`contract-${name}`, eventId);
      return {
        status: run.status,
        output: run.status === "completed" ? run.output : null,
        error: run.error ? { name: run.error.name, message: run.error.message } : null,
      };
    },
    async close() {
      await new Promise<void>((resolve) => app.close(() => resolve()));
      await driver.close();
    },
  };
}

/** In-process, by the embedded executor, with its state in Postgres. */
function embeddedWay(): Way & { executor: EmbeddedExecutor } {
  const inngest = new Inngest({ id: "contract", ...embeddedClientOptions, logger: quiet });
  const log = new ExecutionLog();
  const executor = createEmbeddedExecutor({
    pool: getPool(),
    client: inngest,
    functions: contractFunctions(inngest, log),
    pollIntervalMs: 20,
    retryBaseDelayMs: 10,
  });
  return {
    executor,
    log,
    async run(name, eventId) {
      await inngest.send({ name: `contract/${name}`, id: eventId, data: { ticket: eventId } });
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await getPool().query<{ status: string; output: unknown; error: { name: string; message: string } | null }>(
          `SELECT "status", "output", "error" FROM "WorkflowRun" WHERE "functionId" = $1 AND "event"->>'id' = $2`,
          [`contract-${name}`, eventId],
        );
        const row = rows[0];
        if (row && row.status !== "running") {
          return {
            status: row.status,
            output: row.status === "completed" ? row.output : null,
            error: row.error ? { name: row.error.name, message: row.error.message } : null,
          };
        }
        if (Date.now() > deadline) throw new Error(`embedded run of ${name} did not finish`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

describe("server-mode contract: serve() over Inngest's protocol and the embedded executor agree", () => {
  const outcomes = {
    embedded: {} as Record<string, Outcome>,
    replaying: {} as Record<string, Outcome>,
    checkpointing: {} as Record<string, Outcome>,
  };
  let embedded: ReturnType<typeof embeddedWay>;
  let replaying: Awaited<ReturnType<typeof servedWay>>;
  let checkpointing: Awaited<ReturnType<typeof servedWay>>;

  beforeAll(async () => {
    embedded = embeddedWay();
    embedded.executor.start();
    [replaying, checkpointing] = await Promise.all([servedWay(false), servedWay(true)]);
    await Promise.all(
      scenarios.flatMap((name) => [
        embedded.run(name, `embedded-${name}`).then((outcome) => (outcomes.embedded[name] = outcome)),
        replaying.run(name, `replaying-${name}`).then((outcome) => (outcomes.replaying[name] = outcome)),
        checkpointing.run(name, `checkpointing-${name}`).then((outcome) => (outcomes.checkpointing[name] = outcome)),
      ]),
    );
  }, 60_000);

  afterAll(async () => {
    await embedded?.executor.stop();
    await replaying?.close();
    await checkpointing?.close();
  });

  it("registers every function, including invoke-only ones, through the SDK's sync", () => {
    expect(replaying.driver.runs.length).toBeGreaterThan(0);
    expect(replaying.driver.problems).toEqual([]);
    expect(checkpointing.driver.problems).toEqual([]);
  });

  it("runs every step the same number of times, with the same attempts, in all three ways", () => {
    expect(replaying.log.attempts).toEqual(embedded.log.attempts);
    expect(checkpointing.log.attempts).toEqual(embedded.log.attempts);
    expect(embedded.log.attempts).toEqual({
      "sequential:a": [0],
      "sequential:b": [0],
      "sequential:c": [0],
      "parallel:x": [0],
      "parallel:y": [0],
      "parallel:z": [0],
      "parallel:join": [0],
      "flaky:flaky": [0, 1, 2],
      "flaky:after": [0],
      "exhausted:doomed": [0, 1],
      "non-retriable:refuse": [0],
      "function-error:first": [0],
      "function-error:body": [0, 1],
      "sleep-and-wait:before": [0],
      "sleep-and-wait:after": [0],
      "cancellable:middle": [0],
      "add:sum": [0],
      "refuse:refuse": [0],
    });
  });

  it("ends every run with the same result or error in all three ways", () => {
    expect(outcomes.replaying).toEqual(outcomes.embedded);
    expect(outcomes.checkpointing).toEqual(outcomes.embedded);
    expect(outcomes.embedded).toMatchObject({
      sequential: { status: "completed", output: { a: 1, b: { value: 2 }, c: "nothing" } },
      parallel: { status: "completed", output: "XYZ" },
      flaky: { status: "completed", output: { value: "ok on attempt 2", attemptAfter: 0 } },
      exhausted: { status: "completed", output: { caught: { name: "TypeError", message: "always broken" } } },
      "non-retriable": { status: "failed", error: { message: "no point retrying" } },
      "function-error": { status: "completed", output: { first: "stored", attempt: 1 } },
      "sleep-and-wait": { status: "completed", output: { before: "before", answer: 42, after: "after" } },
      cancellable: { status: "cancelled", output: null, error: null },
      invoker: { status: "completed", output: { sum: 5, childError: "the child refuses" } },
    });
  });

  it("retries the same way: a failing step or function body is called again, a NonRetriableError never", () => {
    const retries = (driver: InngestDriver) =>
      Object.fromEntries(driver.runs.filter((run) => run.retries > 0).map((run) => [run.functionId, run.retries]));
    const expected = { "contract-flaky": 2, "contract-exhausted": 1, "contract-function-error": 1 };
    expect(retries(replaying.driver)).toEqual(expected);
    expect(retries(checkpointing.driver)).toEqual(expected);
    expect(embedded.executor.stats().retriesScheduled).toBe(4);
  });

  it("rejects an execution request that Inngest did not sign", async () => {
    const response = await fetch(`${replaying.appUrl}?fnId=contract-sequential&stepId=step`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        event: { name: "contract/sequential", data: {} },
        events: [],
        steps: {},
        ctx: { run_id: "forged", attempt: 0 },
      }),
    });
    expect(response.status).toBe(401);
    expect(replaying.log.attempts["sequential:a"]).toEqual([0]);
  });

  it("lets the SDK checkpoint several steps in one request when the server asks for it", () => {
    const sequential = (driver: InngestDriver) => driver.runs.find((run) => run.functionId === "contract-sequential")!;
    expect(sequential(replaying.driver).requests).toBe(4); // one per step, then the result
    expect(sequential(checkpointing.driver).requests).toBeLessThan(4);
  });
});
