/**
 * A stand-in for the Inngest server (Cloud or `inngest start`), for the server-mode contract
 * tests: the real one can't be downloaded here. It speaks Inngest's protocol over real HTTP to
 * a real `serve()` handler:
 *
 * - sync: the app's `PUT /api/inngest` makes the SDK POST its functions to `/fn/register`
 *   (bearer: the hashed signing key); each function's step URL is where its runs are called;
 * - events: `POST /e/<event key>` (the SDK's `inngest.send` / `step.sendEvent`) starts the runs
 *   of matching triggers and resolves matching `waitForEvent`s;
 * - execution: `POST <step url>?fnId=…&stepId=step|<hashed id>` with `{ event, events, steps,
 *   ctx: { run_id, attempt, max_attempts, disable_immediate_execution, stack }, version }`,
 *   signed (`x-inngest-signature: t=<ts>&s=<hmac>`); the SDK answers 200 (the run's result),
 *   206 (ops: a step it ran, one that failed, steps to run, sleeps, waits, invokes) or 4xx/5xx
 *   with `x-inngest-no-retry`, and signs its answer, which is checked here;
 * - checkpointing: with `checkpointing: true` the requests carry `fn_id` and `qi_id`, as the
 *   current server's do, and the SDK (inngest ≥ 4 by default) runs several steps per request,
 *   reporting them to `POST /v1/checkpoint/<run>/async` and finishing with a `RunComplete` op.
 *
 * Like the server it memoises step results by hashed id, retries with `attempt + 1`, runs
 * parallel steps as separate requests, replays the function after every result, and cancels
 * runs on a matching `cancelOn` event (its `if` over `event` and `async`, within its
 * `timeout`): a cancelled run is never called again, and a response to a call already in
 * flight is ignored. Not modelled: concurrency and other flow control, batching, cron.
 *
 * `waiting()` lists the open `waitForEvent`s (run, event, `if`), so a test can send the event
 * once the wait exists rather than race it; the real server only matches events that arrive
 * after a wait begins.
 */
import { createHash, createHmac, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { compileExpression } from "@/inngest/executor/expression";
import { parseDuration, sleepTarget } from "@/inngest/executor/timing";

type StepState = { data: unknown } | { error: unknown };
type Op = { id: string; op: string; name?: string; displayName?: string; data?: unknown; error?: unknown; opts?: Record<string, unknown> };
type Event = { name: string; data: Record<string, unknown>; id: string; ts: number; [key: string]: unknown };

interface RegisteredFunction {
  id: string;
  /** Inngest's own id for the function, sent as `ctx.fn_id`. */
  uuid: string;
  url: string;
  triggers: { event?: string; expression?: string }[];
  cancel: CancelRule[];
  maxAttempts: number;
}

interface CancelRule {
  event: string;
  if?: string;
  timeout?: string;
}

export interface DriverRun {
  id: string;
  functionId: string;
  event: Event;
  status: "running" | "completed" | "failed" | "cancelled";
  output?: unknown;
  error?: { name?: string; message?: string };
  /** Execution requests made, and how many of them were retries. */
  requests: number;
  retries: number;
  done: Promise<DriverRun>;
}

interface RunState extends DriverRun {
  startedAt: number;
  steps: Record<string, StepState>;
  stack: string[];
  /** Steps being run, slept, waited on or invoked: not to be started again. */
  pending: Set<string>;
  discovering: boolean;
  discoverAgain: boolean;
  version: number;
  parent?: { run: RunState; stepId: string };
  settle: (run: DriverRun) => void;
}

interface Wait {
  run: RunState;
  stepId: string;
  event: string;
  condition?: string;
  timer?: NodeJS.Timeout;
}

/** JSON with keys sorted (RFC 8785 for these values): what the SDK canonicalises a request body to before checking its signature. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const withoutPrefix = (signingKey: string) => signingKey.replace(/^signkey-\w+-/, "");
const hmac = (signingKey: string, text: string, ts: string) =>
  createHmac("sha256", withoutPrefix(signingKey))
    .update(text + ts)
    .digest("hex");
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startInngestDriver(options: {
  signingKey: string;
  eventKey: string;
  checkpointing?: boolean;
  retryDelayMs?: number;
}) {
  let registrations = 0;
  const functions = new Map<string, RegisteredFunction>();
  const runs: RunState[] = [];
  const waits: Wait[] = [];
  const retryDelayMs = options.retryDelayMs ?? 10;
  const prefix = options.signingKey.match(/^signkey-\w+-/)?.[0] ?? "";
  const bearer = `Bearer ${prefix}${createHash("sha256")
    .update(Buffer.from(withoutPrefix(options.signingKey), "hex"))
    .digest("hex")}`;
  const problems: string[] = [];

  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://driver");
      const body = await readBody(request);
      const reply = (status: number, payload: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(payload));
      };
      if (request.method === "POST" && url.pathname === `/e/${options.eventKey}`) {
        const events = [JSON.parse(body)].flat() as Event[];
        reply(200, { ids: ingest(events), status: 200 });
      } else if (request.method === "POST" && url.pathname === "/fn/register") {
        if (request.headers.authorization !== bearer) return reply(401, { error: "bad signing key" });
        registrations++;
        register(JSON.parse(body) as { functions: Parameters<typeof register>[0]["functions"] });
        reply(200, { status: 200, modified: true });
      } else if (request.method === "POST" && /^\/v1\/checkpoint\/[^/]+\/async$/.test(url.pathname)) {
        if (request.headers.authorization !== bearer) return reply(401, { error: "bad signing key" });
        const { run_id: runId, steps } = JSON.parse(body) as { run_id: string; steps: Op[] };
        const run = runs.find((candidate) => candidate.id === runId);
        if (!run) return reply(404, { error: "no such run" });
        for (const op of steps) applyOp(run, op);
        reply(200, {});
      } else {
        problems.push(`unexpected ${request.method} ${url.pathname}`);
        reply(404, { error: "not an Inngest API this driver implements" });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function register(payload: {
    functions: {
      id: string;
      triggers: { event?: string; expression?: string }[];
      cancel?: CancelRule[];
      steps: Record<string, { runtime: { url: string }; retries?: { attempts?: number } }>;
    }[];
  }) {
    for (const config of payload.functions) {
      const step = config.steps.step!;
      functions.set(config.id, {
        id: config.id,
        uuid: randomUUID(),
        url: step.runtime.url,
        triggers: config.triggers,
        cancel: config.cancel ?? [],
        maxAttempts: (step.retries?.attempts ?? 3) + 1,
      });
    }
  }

  function ingest(events: Event[]): string[] {
    return events.map((input) => {
      const event: Event = { ...input, data: input.data ?? {}, id: input.id ?? randomUUID(), ts: input.ts ?? Date.now() };
      for (const wait of [...waits]) {
        if (wait.event !== event.name) continue;
        if (wait.condition && !compileExpression(wait.condition).matches({ event: wait.run.event, async: event })) continue;
        resolveWait(wait, event);
      }
      for (const run of runs) if (run.status === "running" && cancels(run, event)) cancel(run);
      for (const fn of functions.values()) {
        const triggered = fn.triggers.some(
          (trigger) =>
            trigger.event !== undefined &&
            (trigger.event.endsWith("*") ? event.name.startsWith(trigger.event.slice(0, -1)) : trigger.event === event.name) &&
            (!trigger.expression || compileExpression(trigger.expression).matches({ event })),
        );
        if (triggered) startRun(fn, event);
      }
      return event.id;
    });
  }

  /** Whether `event` cancels `run` by one of its function's `cancelOn` rules. */
  function cancels(run: RunState, event: Event): boolean {
    return functions
      .get(run.functionId)!
      .cancel.some(
        (rule) =>
          rule.event === event.name &&
          (!rule.timeout || Date.now() - run.startedAt <= parseDuration(rule.timeout)) &&
          (!rule.if || compileExpression(rule.if).matches({ event: run.event, async: event })),
      );
  }

  /** Ends a run as cancelled: its waits and sleeps are dropped and it is never called again. */
  function cancel(run: RunState) {
    for (const wait of waits.filter((candidate) => candidate.run === run)) {
      clearTimeout(wait.timer);
      waits.splice(waits.indexOf(wait), 1);
    }
    run.status = "cancelled";
    run.settle(run);
  }

  function startRun(fn: RegisteredFunction, event: Event, parent?: RunState["parent"]): RunState {
    let settle!: (run: DriverRun) => void;
    const done = new Promise<DriverRun>((resolve) => (settle = resolve));
    const run: RunState = {
      id: randomUUID(),
      functionId: fn.id,
      event,
      status: "running",
      startedAt: Date.now(),
      requests: 0,
      retries: 0,
      done,
      steps: {},
      stack: [],
      pending: new Set(),
      discovering: false,
      discoverAgain: false,
      version: -1,
      parent,
      settle,
    };
    runs.push(run);
    discover(run);
    return run;
  }

  /** Replays the function to find (or run) what comes next; one replay per run at a time. */
  function discover(run: RunState) {
    if (run.status !== "running") return;
    if (run.discovering) {
      run.discoverAgain = true;
      return;
    }
    run.discovering = true;
    void execute(run, "step", 0).finally(() => {
      run.discovering = false;
      if (run.discoverAgain) {
        run.discoverAgain = false;
        discover(run);
      }
    });
  }

  async function call(run: RunState, stepId: string, attempt: number) {
    const fn = functions.get(run.functionId)!;
    const url = new URL(fn.url);
    url.searchParams.set("stepId", stepId);
    const disableImmediate = stepId !== "step" || run.pending.size > 0;
    const body = canonicalJson({
      event: run.event,
      events: [run.event],
      steps: run.steps,
      ctx: {
        run_id: run.id,
        attempt,
        max_attempts: fn.maxAttempts,
        disable_immediate_execution: disableImmediate,
        use_api: false,
        stack: { stack: run.stack, current: run.stack.length },
        ...(options.checkpointing ? { fn_id: fn.uuid, qi_id: randomUUID() } : {}),
      },
      version: run.version,
    });
    const ts = String(Math.round(Date.now() / 1000));
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-inngest-signature": `t=${ts}&s=${hmac(options.signingKey, body, ts)}`,
        "x-inngest-server-kind": "cloud",
      },
      body,
    });
    run.requests++;
    const text = await response.text();
    const signature = new URLSearchParams(response.headers.get("x-inngest-signature") ?? "");
    if (signature.get("s") !== hmac(options.signingKey, text, signature.get("t") ?? "")) {
      problems.push(`unsigned or mis-signed response (${response.status}) for ${run.functionId}`);
    }
    const version = Number(response.headers.get("x-inngest-req-version"));
    if (Number.isFinite(version) && version > 0) run.version = version;
    return {
      status: response.status,
      noRetry: response.headers.get("x-inngest-no-retry") === "true",
      retryAfter: response.headers.get("retry-after"),
      body: text ? (JSON.parse(text) as unknown) : null,
    };
  }

  /** One execution request and its consequences, retried as the server would. */
  async function execute(run: RunState, stepId: string, attempt: number): Promise<void> {
    if (run.status !== "running") return;
    const maxAttempts = functions.get(run.functionId)!.maxAttempts;
    const response = await call(run, stepId, attempt);
    if (run.status !== "running") return;
    const retry = async () => {
      run.retries++;
      await pause(response.retryAfter && /^\d+$/.test(response.retryAfter) ? Number(response.retryAfter) * 1000 : retryDelayMs);
      return execute(run, stepId, attempt + 1);
    };
    if (response.status === 200) return finish(run, { output: response.body });
    if (response.status !== 206) {
      if (!response.noRetry && attempt + 1 < maxAttempts) return retry();
      return finish(run, { error: response.body as DriverRun["error"] });
    }
    const ops = response.body as Op[];
    if (ops.some((op) => op.op === "StepError")) {
      const failed = ops.find((op) => op.op === "StepError")!;
      if (attempt + 1 < maxAttempts) return retry();
      applyOp(run, { ...failed, op: "StepFailed" });
    }
    for (const op of ops) if (op.op !== "StepError") applyOp(run, op);
    if (stepId !== "step") run.pending.delete(stepId);
    if (stepId !== "step" || ops.some((op) => ["StepRun", "Step", "StepFailed"].includes(op.op))) discover(run);
  }

  function known(run: RunState, stepId: string) {
    return stepId in run.steps || run.pending.has(stepId);
  }

  function record(run: RunState, stepId: string, state: StepState) {
    if (stepId in run.steps) return;
    run.steps[stepId] = state;
    run.stack.push(stepId);
  }

  /** What the server does with each op the SDK reports. */
  function applyOp(run: RunState, op: Op) {
    switch (op.op) {
      case "StepRun":
      case "Step":
        return record(run, op.id, { data: op.data ?? null });
      case "StepFailed":
        return record(run, op.id, { error: op.error });
      case "RunComplete":
        return finish(run, { output: op.data ?? null });
      case "DiscoveryRequest":
        return discover(run);
      case "StepPlanned":
        if (known(run, op.id)) return;
        run.pending.add(op.id);
        void execute(run, op.id, 0);
        return;
      case "Sleep": {
        if (known(run, op.id)) return;
        run.pending.add(op.id);
        const target = sleepTarget(op.name ?? "");
        const ms = "until" in target ? Date.parse(target.until) - Date.now() : target.delayMs;
        setTimeout(() => fulfil(run, op.id, { data: null }), Math.max(0, ms));
        return;
      }
      case "WaitForEvent": {
        if (known(run, op.id)) return;
        run.pending.add(op.id);
        const opts = op.opts as { timeout?: string; if?: string };
        const wait: Wait = { run, stepId: op.id, event: op.name!, condition: opts.if };
        if (opts.timeout) wait.timer = setTimeout(() => resolveWait(wait, null), parseDuration(opts.timeout));
        waits.push(wait);
        return;
      }
      case "InvokeFunction": {
        if (known(run, op.id)) return;
        run.pending.add(op.id);
        const opts = op.opts as { function_id: string; payload?: { data?: Record<string, unknown> } };
        const target = functions.get(opts.function_id);
        if (!target) return fulfil(run, op.id, { error: { name: "Error", message: `no function ${opts.function_id}` } });
        startRun(
          target,
          { name: "inngest/function.invoked", data: opts.payload?.data ?? {}, id: randomUUID(), ts: Date.now() },
          { run, stepId: op.id },
        );
        return;
      }
      default:
        problems.push(`op ${op.op} is not implemented by the driver`);
    }
  }

  function fulfil(run: RunState, stepId: string, state: StepState) {
    run.pending.delete(stepId);
    record(run, stepId, state);
    discover(run);
  }

  function resolveWait(wait: Wait, event: Event | null) {
    const index = waits.indexOf(wait);
    if (index === -1) return;
    waits.splice(index, 1);
    clearTimeout(wait.timer);
    fulfil(wait.run, wait.stepId, { data: event });
  }

  function finish(run: RunState, outcome: { output?: unknown; error?: DriverRun["error"] }) {
    if (run.status !== "running") return;
    const failed = outcome.error !== undefined;
    Object.assign(run, failed ? { status: "failed", error: outcome.error } : { status: "completed", output: outcome.output });
    run.settle(run);
    if (run.parent) fulfil(run.parent.run, run.parent.stepId, failed ? { error: outcome.error } : { data: outcome.output ?? null });
  }

  return {
    /** Where the app's Inngest client sends events and syncs (its `baseUrl` / INNGEST_BASE_URL). */
    baseUrl,
    runs: runs as readonly DriverRun[],
    /** Protocol violations seen (bad signatures, unknown ops or endpoints); a contract test expects none. */
    problems,
    /** Syncs the app served at `appUrl` (`PUT`, as `inngest start -u` or a deploy hook does). */
    async sync(appUrl: string) {
      // Signed, as the Inngest server signs its in-band syncs (an app may refuse unsigned ones).
      const ts = String(Math.round(Date.now() / 1000));
      const response = await fetch(appUrl, {
        method: "PUT",
        headers: { "x-inngest-signature": `t=${ts}&s=${hmac(options.signingKey, "", ts)}` },
      });
      if (!response.ok) throw new Error(`sync failed: ${response.status} ${await response.text()}`);
      return [...functions.keys()];
    },
    /** How many times an app registered its functions here (each sync that got through). */
    registrations: () => registrations,
    /** The open `waitForEvent`s: which run waits for which event, and on what `if`. */
    waiting: () => waits.map((wait) => ({ runId: wait.run.id, event: wait.event, if: wait.condition })),
    /** Sends events as the event API would receive them. */
    send: (events: Omit<Event, "id" | "ts"> | Omit<Event, "id" | "ts">[]) => ingest([events].flat() as Event[]),
    /** The run a function started for an event id (resolved once it exists and has finished). */
    async finished(functionId: string, eventId: string, timeoutMs = 10_000): Promise<DriverRun> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = runs.find((candidate) => candidate.functionId === functionId && candidate.event.id === eventId);
        if (run)
          return Promise.race([
            run.done,
            pause(deadline - Date.now()).then(() => Promise.reject(new Error(`run of ${functionId} did not finish`))),
          ]);
        if (Date.now() > deadline) throw new Error(`no run of ${functionId} for event ${eventId}`);
        await pause(10);
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type InngestDriver = Awaited<ReturnType<typeof startInngestDriver>>;
