import { Inngest, NonRetriableError, RetryAfterError } from "inngest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPool } from "@/server/db/client";
import { createEmbeddedExecutor, embeddedClientOptions, type EmbeddedExecutor } from "@/inngest/executor";
import { runIdFor } from "@/inngest/executor/identity";

/**
 * The embedded executor drives real Inngest functions, sent real events through the SDK
 * (`inngest.send` → embeddedEventFetch → executor), against a real Postgres.
 */
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const inngest = new Inngest({ id: "executor-test", ...embeddedClientOptions, logger: quiet });

const executions = new Map<string, number>();
const count = (key: string) => executions.set(key, (executions.get(key) ?? 0) + 1);
const executed = (key: string) => executions.get(key) ?? 0;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const sequential = inngest.createFunction({ id: "sequential", triggers: [{ event: "test/sequential" }] }, async ({ event, step }) => {
  const a = await step.run("a", () => (count(`${event.id}:a`), 1));
  const b = await step.run("b", () => (count(`${event.id}:b`), a + 1));
  const c = await step.run("c", () => (count(`${event.id}:c`), b + 1));
  return { a, b, c };
});

/** Each step reports how many of the run's steps were stored when it started. */
const storedBefore: Record<string, number[]> = {};
const storedSteps = async (runId: string) =>
  Number((await getPool().query(`SELECT count(*) FROM "WorkflowStep" WHERE "runId" = $1`, [runId])).rows[0].count);
const durable = inngest.createFunction({ id: "durable", triggers: [{ event: "test/durable" }] }, async ({ event, step, runId }) => {
  const seen = (storedBefore[event.id!] ??= []);
  for (const name of ["a", "b", "c"]) await step.run(name, async () => (seen.push(await storedSteps(runId)), name));
  return seen.length;
});

const spans: Record<string, { start: number; end: number }> = {};
const parallel = inngest.createFunction({ id: "parallel", triggers: [{ event: "test/parallel" }] }, async ({ event, step }) => {
  const results = await Promise.all(
    ["x", "y", "z"].map((name) =>
      step.run(`work ${name}`, async () => {
        count(`${event.id}:${name}`);
        const start = Date.now();
        await pause(200);
        spans[name] = { start, end: Date.now() };
        return name.toUpperCase();
      }),
    ),
  );
  return step.run("join", () => (count(`${event.id}:join`), results.join("")));
});

const sleeper = inngest.createFunction({ id: "sleeper", triggers: [{ event: "test/sleep" }] }, async ({ step }) => {
  const before = await step.run("before", () => Date.now());
  await step.sleep("nap", "1s");
  const after = await step.run("after", () => Date.now());
  return { sleptMs: after - before };
});

const approval = inngest.createFunction({ id: "approval", triggers: [{ event: "test/approval.requested" }] }, async ({ step }) => {
  const approved = await step.waitForEvent("wait for approval", {
    event: "test/approval.given",
    timeout: "1m",
    if: "event.data.taskId == async.data.taskId && async.data.approved == true",
  });
  return { by: approved?.data.by ?? null };
});

const impatient = inngest.createFunction({ id: "impatient", triggers: [{ event: "test/impatient" }] }, async ({ step }) => {
  const reply = await step.waitForEvent("wait briefly", { event: "test/never-sent", timeout: "1s", match: "data.taskId" });
  return { reply };
});

const add = inngest.createFunction({ id: "add" }, async ({ event, step }) =>
  step.run("sum", () => (event.data as { a: number; b: number }).a + (event.data as { a: number; b: number }).b),
);

const refuse = inngest.createFunction({ id: "refuse", retries: 0 }, async ({ step }) => {
  await step.run("refuse", () => {
    throw new NonRetriableError("the child refuses");
  });
});

const invoker = inngest.createFunction({ id: "invoker", triggers: [{ event: "test/invoke" }] }, async ({ step }) => {
  const sum = await step.invoke("add numbers", { function: add, data: { a: 2, b: 3 } });
  let childError: string | null = null;
  try {
    await step.invoke("ask the refuser", { function: refuse, data: {} });
  } catch (error) {
    childError = (error as Error).message;
  }
  return { sum, childError };
});

/** Many parents each invoking several children at once: their completions race to wake the parent. */
const quick = inngest.createFunction({ id: "quick" }, async ({ event, step }) => step.run("answer", () => (event.data as { n: number }).n));
const gatherer = inngest.createFunction({ id: "gatherer", triggers: [{ event: "test/gather" }] }, async ({ step }) => {
  const answers = await Promise.all([1, 2, 3, 4].map((n) => step.invoke(`ask ${n}`, { function: quick, data: { n } })));
  return answers.reduce((sum, n) => sum + n, 0);
});

const fanOut = inngest.createFunction({ id: "fan-out", triggers: [{ event: "test/fan-out" }] }, async ({ event, step }) => {
  await step.sendEvent("notify downstream", { name: "test/downstream", data: { from: event.id } });
});

const downstreamSeen: string[] = [];
const downstream = inngest.createFunction({ id: "downstream", triggers: [{ event: "test/downstream" }] }, async ({ event, step }) => {
  await step.run("record", () => downstreamSeen.push((event.data as { from: string }).from));
});

const attemptLog: Record<string, { attempt: number; at: number }[]> = {};
const flaky = inngest.createFunction({ id: "flaky", retries: 3, triggers: [{ event: "test/flaky" }] }, async ({ event, step, attempt }) => {
  return step.run("call a flaky provider", () => {
    (attemptLog[event.id!] ??= []).push({ attempt, at: Date.now() });
    if (attempt < 2) throw new Error(`provider hiccup ${attempt}`);
    return "ok";
  });
});

const rateLimited = inngest.createFunction(
  { id: "rate-limited", triggers: [{ event: "test/rate-limited" }] },
  async ({ event, step, attempt }) => {
    return step.run("call a rate-limited provider", () => {
      (attemptLog[event.id!] ??= []).push({ attempt, at: Date.now() });
      if (attempt === 0) throw new RetryAfterError("slow down", 1000);
      return "ok";
    });
  },
);

const doomed = inngest.createFunction({ id: "doomed", retries: 3, triggers: [{ event: "test/doomed" }] }, async ({ event, step }) => {
  await step.run("validate input", () => {
    count(`${event.id}:validate`);
    throw new NonRetriableError("input is invalid");
  });
});

const exhausting = inngest.createFunction(
  { id: "exhausting", retries: 1, triggers: [{ event: "test/exhausting" }] },
  async ({ event, step }) => {
    try {
      await step.run("always fails", () => {
        count(`${event.id}:always`);
        throw new Error("still broken");
      });
      return "unreachable";
    } catch (error) {
      return `caught ${(error as Error).name}: ${(error as Error).message}`;
    }
  },
);

const failures: unknown[] = [];
const withFailureHandler = inngest.createFunction(
  {
    id: "with-failure-handler",
    retries: 0,
    triggers: [{ event: "test/fails-loudly" }],
    onFailure: async ({ error, event }) => {
      failures.push({ message: error.message, original: (event.data as { event: { data: unknown } }).event.data });
    },
  },
  async () => {
    throw new Error("nothing works");
  },
);

const waitingChild = inngest.createFunction({ id: "waiting-child" }, async ({ step }) => {
  await step.waitForEvent("wait forever", { event: "test/never-sent", timeout: "1h" });
});

const cancellable = inngest.createFunction(
  { id: "cancellable", triggers: [{ event: "test/long-task" }], cancelOn: [{ event: "test/cancel-task", match: "data.taskId" }] },
  async ({ event, step }) => {
    await step.run("start", () => count(`${event.id}:start`));
    await step.invoke("child that waits", { function: waitingChild, data: {} });
    await step.run("finish", () => count(`${event.id}:finish`));
  },
);

const impatientParent = inngest.createFunction(
  { id: "impatient-parent", triggers: [{ event: "test/invoke-timeout" }] },
  async ({ step }) => {
    try {
      await step.invoke("slow child", { function: waitingChild, data: {}, timeout: "1s" });
      return "unreachable";
    } catch (error) {
      return (error as Error).name;
    }
  },
);

const raced = inngest.createFunction({ id: "raced", triggers: [{ event: "test/raced" }] }, async ({ event, step }) => {
  const [signal] = await Promise.all([
    step.waitForEvent("wait for signal", { event: "test/signal", timeout: "1m", match: "data.key" }),
    step.run("slow work", async () => {
      count(`${event.id}:slow`);
      await pause(300);
    }),
  ]);
  return (signal?.data as { value?: string } | undefined)?.value ?? null;
});

let finishSlowStep = () => {};
const interruptible = inngest.createFunction(
  { id: "interruptible", triggers: [{ event: "test/interruptible" }], cancelOn: [{ event: "test/interrupt", match: "data.key" }] },
  async ({ event, step }) => {
    await step.run("slow", async () => {
      count(`${event.id}:slow`);
      await new Promise<void>((resolve) => (finishSlowStep = resolve));
    });
    await step.run("after", () => count(`${event.id}:after`));
  },
);

let executor: EmbeddedExecutor;

beforeAll(() => {
  executor = createEmbeddedExecutor({
    pool: getPool(),
    client: inngest,
    functions: [
      sequential,
      durable,
      quick,
      gatherer,
      parallel,
      sleeper,
      approval,
      impatient,
      add,
      refuse,
      invoker,
      fanOut,
      downstream,
      flaky,
      rateLimited,
      doomed,
      exhausting,
      withFailureHandler,
      waitingChild,
      cancellable,
      impatientParent,
      raced,
      interruptible,
    ],
    pollIntervalMs: 50,
    retryBaseDelayMs: 40,
  });
  executor.start();
});

afterAll(async () => {
  await executor.stop();
});

interface RunRow {
  id: string;
  functionId: string;
  status: string;
  attempt: number;
  output: unknown;
  error: { name: string; message: string } | null;
  parentRunId: string | null;
}

async function runsOf(eventId: string): Promise<RunRow[]> {
  const { rows } = await getPool().query<RunRow>(`SELECT * FROM "WorkflowRun" WHERE "event"->>'id' = $1`, [eventId]);
  return rows;
}

async function runOf(eventId: string): Promise<RunRow> {
  const [run] = await runsOf(eventId);
  if (!run) throw new Error(`no run for event ${eventId}`);
  return run;
}

async function send(name: string, data: Record<string, unknown> = {}) {
  const { ids } = await inngest.send({ name, data });
  return ids[0]!;
}

/**
 * The executor statements that name `runId` while `work` runs (not the lease renewal's, nor the
 * steps' own reads): a named statement by its name, another by its first words.
 */
async function statementsOf(runId: string, work: () => Promise<void>): Promise<string[]> {
  const statements: string[] = [];
  const pool = getPool();
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the pool as `this`
  const query = pool.query;
  pool.query = function (this: typeof pool, ...args: Parameters<typeof query>) {
    const [config, values] = args as unknown as [string | { text: string; name?: string; values?: unknown[] }, unknown[]?];
    const text = typeof config === "string" ? config : config.text;
    const params = JSON.stringify((typeof config === "string" ? values : config.values) ?? []);
    if (params.includes(runId) && !text.startsWith(`UPDATE "WorkflowRun" SET "leaseExpiresAt"`) && !text.startsWith("SELECT count(*)")) {
      statements.push(typeof config === "string" || !config.name ? text.replace(/\s+/g, " ").slice(0, 30) : config.name);
    }
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    await work();
  } finally {
    pool.query = query;
  }
  return statements;
}

async function until(check: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await pause(5);
  }
}

/** Polls until the event's run is no longer running (for runs that sleep or wait). */
async function settled(eventId: string, timeoutMs = 8_000): Promise<RunRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [run] = await runsOf(eventId);
    if (run && run.status !== "running") return run;
    if (Date.now() > deadline) throw new Error(`run for ${eventId} still ${run?.status ?? "missing"}`);
    await pause(20);
  }
}

describe("the embedded executor", () => {
  it("runs sequential steps to completion, executing each step exactly once", async () => {
    const eventId = await send("test/sequential");
    await executor.idle();
    const run = await runOf(eventId);
    expect(run).toMatchObject({ functionId: "executor-test-sequential", status: "completed", output: { a: 1, b: 2, c: 3 } });
    expect([executed(`${eventId}:a`), executed(`${eventId}:b`), executed(`${eventId}:c`)]).toEqual([1, 1, 1]);
    const { rows } = await getPool().query(`SELECT "name", "data" FROM "WorkflowStep" WHERE "runId" = $1 ORDER BY "seq"`, [run.id]);
    expect(rows).toEqual([
      { name: "a", data: 1 },
      { name: "b", data: 2 },
      { name: "c", data: 3 },
    ]);
  });

  it("stores each step before the next one starts, in one statement per step; the last with the outcome", async () => {
    const eventId = "durable-steps";
    const runId = runIdFor("executor-test-durable", eventId);
    const statements = await statementsOf(runId, async () => {
      await inngest.send({ name: "test/durable", id: eventId, data: {} });
      await until(() => storedBefore[eventId]?.length === 3);
      await executor.idle();
    });
    expect(storedBefore[eventId]).toEqual([0, 1, 2]);
    expect((await runOf(eventId)).status).toBe("completed");
    expect(await storedSteps(runId)).toBe(3);
    // Created already leased to the executor that ingested the event (no claim, nothing to
    // load), a and b each written as the next step starts, c together with the outcome.
    expect(statements).toEqual([
      "chorus-executor-ingest",
      "chorus-executor-write-steps",
      "chorus-executor-write-steps",
      "chorus-executor-finish",
    ]);
  });

  it("resumes every parent whose children finish at the same moment, whichever finish wakes it", async () => {
    const ids = Array.from({ length: 24 }, (_, n) => `gather-${n}`);
    await inngest.send(ids.map((id) => ({ name: "test/gather", id, data: {} })));
    const deadline = Date.now() + 15_000;
    let runs: RunRow[] = [];
    for (;;) {
      runs = (await Promise.all(ids.map((id) => runsOf(id)))).flat();
      if (runs.every((run) => run.status !== "running") || Date.now() > deadline) break;
      await pause(50);
    }
    expect(runs.map((run) => [run.status, run.output])).toEqual(ids.map(() => ["completed", 10]));
  });

  it("runs Promise.all steps concurrently, each once, then continues with their results", async () => {
    const eventId = await send("test/parallel");
    await executor.idle();
    expect(await runOf(eventId)).toMatchObject({ status: "completed", output: "XYZ" });
    for (const name of ["x", "y", "z", "join"]) expect(executed(`${eventId}:${name}`)).toBe(1);
    const all = Object.values(spans);
    expect(Math.max(...all.map((span) => span.start))).toBeLessThan(Math.min(...all.map((span) => span.end)));
  });

  it("sleeps durably: the run is parked, not polled by a busy worker, and resumes after the sleep", async () => {
    const eventId = await send("test/sleep");
    await executor.idle(); // returns while the run sleeps: sleeping is not work
    const asleep = await runOf(eventId);
    expect(asleep.status).toBe("running");
    const { rows } = await getPool().query(`SELECT "kind" FROM "WorkflowWait" WHERE "runId" = $1`, [asleep.id]);
    expect(rows).toEqual([{ kind: "sleep" }]);
    const run = await settled(eventId);
    expect(run.status).toBe("completed");
    expect((run.output as { sleptMs: number }).sleptMs).toBeGreaterThanOrEqual(1000);
  });

  it("resumes a waitForEvent only with an event that satisfies its `if` expression", async () => {
    const first = await send("test/approval.requested", { taskId: "t1" });
    const second = await send("test/approval.requested", { taskId: "t2" });
    await executor.idle();
    await send("test/approval.given", { taskId: "t2", approved: false, by: "nobody" });
    await send("test/approval.given", { taskId: "t2", approved: true, by: "ada" });
    expect(await settled(second)).toMatchObject({ status: "completed", output: { by: "ada" } });
    expect((await runOf(first)).status).toBe("running");
    await send("test/approval.given", { taskId: "t1", approved: true, by: "grace" });
    expect(await settled(first)).toMatchObject({ status: "completed", output: { by: "grace" } });
  });

  it("resolves a waitForEvent with null when it times out", async () => {
    const eventId = await send("test/impatient", { taskId: "t3" });
    const run = await settled(eventId);
    expect(run).toMatchObject({ status: "completed", output: { reply: null } });
  });

  it("invokes another function and returns its value; a child's failure is an error in the parent", async () => {
    const eventId = "invoke-rounds";
    const runId = runIdFor("executor-test-invoker", eventId);
    const statements = await statementsOf(runId, async () => {
      await inngest.send({ name: "test/invoke", id: eventId, data: {} });
      await executor.idle();
    });
    // Each invocation: its wait and child created and the parent let go in one statement; when
    // the child's completion has handed over its result, the parent is claimed (a statement
    // that does not name it) and loaded.
    expect(statements).toEqual([
      "chorus-executor-ingest",
      "chorus-executor-create-waits",
      "chorus-executor-load",
      "chorus-executor-create-waits",
      "chorus-executor-load",
      "chorus-executor-finish",
    ]);
    const parent = await runOf(eventId);
    expect(parent).toMatchObject({ status: "completed", output: { sum: 5, childError: "the child refuses" } });
    const { rows: children } = await getPool().query<RunRow>(
      `SELECT "functionId", "status" FROM "WorkflowRun" WHERE "parentRunId" = $1 ORDER BY "functionId"`,
      [parent.id],
    );
    expect(children).toEqual([
      { functionId: "executor-test-add", status: "completed" },
      { functionId: "executor-test-refuse", status: "failed" },
    ]);
  });

  it("starts the functions an event sent from inside a step triggers", async () => {
    const eventId = await send("test/fan-out");
    await executor.idle();
    expect((await runOf(eventId)).status).toBe("completed");
    expect(downstreamSeen).toEqual([eventId]);
  });

  it("retries a failing step with backoff, passing the attempt number, until it succeeds", async () => {
    const eventId = await send("test/flaky");
    await executor.idle();
    expect(await runOf(eventId)).toMatchObject({ status: "completed", output: "ok", attempt: 0 });
    const log = attemptLog[eventId]!;
    expect(log.map((entry) => entry.attempt)).toEqual([0, 1, 2]);
    // Backoff: at least half the base delay, then at least half of double it.
    expect(log[1]!.at - log[0]!.at).toBeGreaterThanOrEqual(20);
    expect(log[2]!.at - log[1]!.at).toBeGreaterThanOrEqual(40);
  });

  it("waits as long as a RetryAfterError asks before retrying", async () => {
    const eventId = await send("test/rate-limited");
    expect(await settled(eventId)).toMatchObject({ status: "completed", output: "ok" });
    const [first, second] = attemptLog[eventId]!;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it("fails at once on a NonRetriableError, without retrying", async () => {
    const eventId = await send("test/doomed");
    await executor.idle();
    const run = await runOf(eventId);
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ name: "NonRetriableError", message: "input is invalid" });
    expect(executed(`${eventId}:validate`)).toBe(1);
  });

  it("hands a step's final error to the function as a StepError once its retries are spent", async () => {
    const eventId = await send("test/exhausting");
    await executor.idle();
    expect(await runOf(eventId)).toMatchObject({ status: "completed", output: "caught Error: still broken" });
    expect(executed(`${eventId}:always`)).toBe(2);
  });

  it("runs a function's onFailure handler when it fails for good", async () => {
    const eventId = await send("test/fails-loudly", { reason: "demo" });
    await executor.idle();
    expect((await runOf(eventId)).status).toBe("failed");
    expect(failures).toEqual([{ message: "nothing works", original: { reason: "demo" } }]);
  });

  it("cancels matching runs on a cancelOn event, with the runs they invoked", async () => {
    const keep = await send("test/long-task", { taskId: "keep" });
    const drop = await send("test/long-task", { taskId: "drop" });
    await executor.idle();
    const dropped = await runOf(drop);
    const { rows: children } = await getPool().query<RunRow>(`SELECT "id", "status" FROM "WorkflowRun" WHERE "parentRunId" = $1`, [
      dropped.id,
    ]);
    expect(children).toHaveLength(1);
    expect(children[0]!.status).toBe("running");

    await send("test/cancel-task", { taskId: "drop" });
    expect((await runOf(drop)).status).toBe("cancelled");
    const { rows: after } = await getPool().query<RunRow>(`SELECT "status" FROM "WorkflowRun" WHERE "id" = $1`, [children[0]!.id]);
    expect(after[0]!.status).toBe("cancelled");
    const { rows: waits } = await getPool().query(`SELECT 1 FROM "WorkflowWait" WHERE "runId" IN ($1, $2)`, [dropped.id, children[0]!.id]);
    expect(waits).toHaveLength(0);
    expect((await runOf(keep)).status).toBe("running");
    expect(executed(`${drop}:finish`)).toBe(0);

    // The run and the child it invoked, in no particular order.
    const cancelled = await executor.cancelRuns([(await runOf(keep)).id]);
    expect(cancelled).toHaveLength(2);
    expect(cancelled).toContain((await runOf(keep)).id);
  });

  it("gives a step.invoke that outlives its timeout an InngestInvokeTimeoutError", async () => {
    const eventId = await send("test/invoke-timeout");
    expect(await settled(eventId)).toMatchObject({ status: "completed", output: "InngestInvokeTimeoutError" });
  });

  it("registers a wait before starting the steps found with it, and delivers an event that arrives while the run is busy", async () => {
    const eventId = await send("test/raced", { key: "k1" });
    await until(() => executed(`${eventId}:slow`) === 1);
    await send("test/signal", { key: "k1", value: "hello" });
    expect(await settled(eventId)).toMatchObject({ status: "completed", output: "hello" });
  });

  it("stops a cancelled run after the step in progress: its next step never starts", async () => {
    const eventId = await send("test/interruptible", { key: "k2" });
    await until(() => executed(`${eventId}:slow`) === 1);
    await send("test/interrupt", { key: "k2" });
    finishSlowStep();
    await pause(200);
    expect((await runOf(eventId)).status).toBe("cancelled");
    expect(executed(`${eventId}:after`)).toBe(0);
  });

  it("treats an event sent twice with the same id as one event", async () => {
    const event = { name: "test/sequential", id: "dedupe-me", data: {} };
    await inngest.send(event);
    await inngest.send(event);
    await executor.idle();
    expect(await runsOf("dedupe-me")).toHaveLength(1);
    expect(executed("dedupe-me:a")).toBe(1);

    // At the same moment too: each send starts a driver before its insert commits; only the
    // one whose insert created the run may run a step.
    const twin = { name: "test/sequential", id: "dedupe-me-at-once", data: {} };
    await Promise.all([inngest.send(twin), inngest.send(twin), executor.send(twin)]);
    await executor.idle();
    expect(await runsOf("dedupe-me-at-once")).toHaveLength(1);
    expect((await runOf("dedupe-me-at-once")).status).toBe("completed");
    expect(["a", "b", "c"].map((name) => executed(`dedupe-me-at-once:${name}`))).toEqual([1, 1, 1]);
  });
});
