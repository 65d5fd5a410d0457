/**
 * The contestants of the engine benchmarks: the same sequential graph — three steps
 * (research → analysis → synthesis; trivial synchronous work, no model), or N steps with N−2
 * analysis steps in the middle — on
 *   - Chorus: a real `inngest.createFunction` with three `step.run`s, driven by Chorus's
 *     embedded executor on Postgres; without persistence, the same function driven in memory
 *     through the same SDK entry point the executor uses (and, for reference, @inngest/test);
 *   - LangGraph JS: a StateGraph compiled with PostgresSaver; without, with no checkpointer;
 *   - Mastra: a workflow on a Mastra instance with PostgresStore; without, with no storage.
 * Every contestant exposes `runOnce()`, which resolves when one run has completed (durably,
 * for the persistent ones).
 */
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import pg from "pg";
import { Inngest } from "inngest";
import { InngestTestEngine } from "@inngest/test";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { Mastra } from "@mastra/core";
import { createStep, createWorkflow } from "@mastra/core/workflows";
import { PostgresStore } from "@mastra/pg";
import { z } from "zod";
import { createEmbeddedExecutor, embeddedClientOptions, type EmbeddedExecutor } from "../../inngest/executor";
import { runIdFor } from "../../inngest/executor/identity";
import { describeFunctions, executeFunction, StepOpCode } from "../../inngest/executor/sdk";
import { REPO_ROOT } from "./paths";

/** Chorus runs on its own copy of pg (the root node_modules), as it does in production. */
type ChorusPool = Parameters<typeof createEmbeddedExecutor>[0]["pool"];
const chorusPg = createRequire(path.join(REPO_ROOT, "package.json"))("pg") as {
  Pool: new (config: { connectionString: string; max: number }) => ChorusPool;
};

export interface Contestant {
  /** Table label, e.g. "Chorus (executor + Postgres)". */
  label: string;
  engine: "chorus" | "langgraph" | "mastra";
  persistent: boolean;
  runOnce(): Promise<unknown>;
  close(): Promise<void>;
}

const RUN_TIMEOUT_MS = 60_000;

/** Connections per contestant: the same for every engine (16 runs in flight at most). */
export const POOL_SIZE = 16;

// ── the work: the same trivial, synchronous, deterministic step bodies for every engine ─────
const research = (topic: string) => ({ notes: `notes on ${topic}`, sources: ["a", "b", "c"] });
const analysis = (notes: string, sources: string[], round = 1) => ({
  insights: `${sources.length} sources, ${notes.length} chars${round > 1 ? `, round ${round}` : ""}`,
});
const synthesis = (notes: string, insights: string) => ({ summary: `${notes}; ${insights}` });

/** research, analysis (or analysis-1 … analysis-(n−2)), synthesis. */
export function stepNames(steps: number): string[] {
  if (steps < 3) throw new Error("a graph has at least 3 steps");
  const middle = steps === 3 ? ["analysis"] : Array.from({ length: steps - 2 }, (_, index) => `analysis-${index + 1}`);
  return ["research", ...middle, "synthesis"];
}
const suffix = (steps: number) => (steps === 3 ? "" : `, ${steps} steps`);

const quietLogger = { info() {}, warn() {}, error() {}, debug() {} };

// ── Chorus ─────────────────────────────────────────────────────────────────────────────────
const chorusEvent = (steps: number) => (steps === 3 ? "bench/graph.requested" : `bench/graph-${steps}.requested`);

function chorusFunction(inngest: Inngest.Any, steps = 3) {
  const names = stepNames(steps);
  return inngest.createFunction(
    { id: steps === 3 ? "graph" : `graph-${steps}`, retries: 0, triggers: [{ event: chorusEvent(steps) }] },
    async ({ event, step }) => {
      const topic = (event.data as { topic: string }).topic;
      const r = await step.run("research", () => research(topic));
      let insights = "";
      for (let round = 1; round <= steps - 2; round++) {
        insights = (await step.run(names[round]!, () => analysis(r.notes, r.sources, round))).insights;
      }
      return step.run("synthesis", () => synthesis(r.notes, insights));
    },
  );
}

export interface StoreTiming {
  calls: number;
  /** Wall time from call to settled, summed (ms): a round trip plus any wait for a pooled connection. */
  ms: number;
}

export interface ChorusDurable extends Contestant {
  executor: EmbeddedExecutor;
  pool: ChorusPool;
  /** Per RunStore method: calls and wall time, since the last `resetStoreTimings()`. */
  storeTimings: Map<string, StoreTiming>;
  resetStoreTimings(): void;
  /** Runs via `executor.send()` (no SDK send / fetch shim) instead of `inngest.send()`. */
  runDirect(): Promise<unknown>;
}

/**
 * Chorus with persistence: one embedded executor (one pool, one client) hosting the graph for
 * each step count in `stepCounts`, one contestant per graph. One executor per process, as in
 * Chorus: `inngest.send()` reaches whichever executor registered last in the process.
 *
 * A run's completion is awaited by wrapping the executor's `RunStore.finish` (the one
 * statement that marks a run completed): the promise resolves right after that statement
 * commits, so awaiting adds no query. If the executor's internals move, it falls back to
 * polling the run's WorkflowRun row (those polls are then counted as the engine's statements).
 */
export async function chorusEngine(url: string, stepCounts: number[] = [3]) {
  const inngest = new Inngest({ id: "bench", ...embeddedClientOptions, logger: quietLogger });
  const functions = stepCounts.map((steps) => chorusFunction(inngest, steps));
  const pool = new chorusPg.Pool({ connectionString: url, max: POOL_SIZE });
  pool.on("error", () => undefined);
  const executor = createEmbeddedExecutor({ pool, client: inngest, functions, concurrency: 32 });
  const functionIds = describeFunctions(inngest, functions)
    .filter((definition) => definition.handlerKind === "main")
    .map((definition) => definition.id);
  const waiting = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();

  const store = (
    executor as unknown as { store?: Record<string, unknown> & { finish?: (...args: unknown[]) => Promise<{ finished: boolean }> } }
  ).store;
  // Time every RunStore call (where the executor's database time goes).
  const storeTimings = new Map<string, StoreTiming>();
  if (store) {
    const proto = Object.getPrototypeOf(store) as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const method = proto[name];
      if (name === "constructor" || typeof method !== "function") continue;
      store[name] = async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (method as (...a: unknown[]) => Promise<unknown>).apply(store, args);
        } finally {
          const timing = storeTimings.get(name) ?? { calls: 0, ms: 0 };
          timing.calls++;
          timing.ms += performance.now() - started;
          storeTimings.set(name, timing);
        }
      };
    }
  }
  let awaitRun: (runId: string) => Promise<void>;
  if (store && typeof store.finish === "function") {
    const finish = store.finish.bind(store);
    store.finish = async (...args: unknown[]) => {
      const result = await finish(...args);
      const runId = args[0] as string;
      const outcome = args[1] as { status: string; error: string | null };
      const waiter = waiting.get(runId);
      if (waiter && result.finished) {
        waiting.delete(runId);
        if (outcome.status === "completed") waiter.resolve();
        else waiter.reject(new Error(`run ${runId} ${outcome.status}: ${outcome.error}`));
      }
      return result;
    };
    awaitRun = (runId) =>
      new Promise<void>((resolve, reject) => {
        // A benchmark must never hang on a run that will not finish: fail loudly instead.
        const timer = setTimeout(() => {
          waiting.delete(runId);
          reject(new Error(`run ${runId} did not finish within ${RUN_TIMEOUT_MS / 1000} s`));
        }, RUN_TIMEOUT_MS);
        waiting.set(runId, {
          resolve: () => (clearTimeout(timer), resolve()),
          reject: (error) => (clearTimeout(timer), reject(error)),
        });
      });
  } else {
    console.warn("chorus: RunStore.finish not found; awaiting runs by polling WorkflowRun");
    awaitRun = async (runId) => {
      for (;;) {
        const { rows } = await pool.query<{ status: string }>(`SELECT "status" FROM "WorkflowRun" WHERE "id" = $1`, [runId]);
        if (rows[0] && rows[0].status !== "running") {
          if (rows[0].status !== "completed") throw new Error(`run ${runId} ${rows[0].status}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };
  }
  executor.start();

  const close = async () => {
    await executor.stop();
    await pool.end();
  };
  const contestants = new Map<number, ChorusDurable>();
  stepCounts.forEach((steps, index) => {
    const functionId = functionIds[index]!;
    const run = async (send: (event: { id: string; name: string; data: Record<string, unknown> }) => Promise<unknown>) => {
      const id = randomUUID();
      const done = awaitRun(runIdFor(functionId, id));
      await send({ id, name: chorusEvent(steps), data: { topic: `topic ${id.slice(0, 8)}` } });
      await done;
    };
    contestants.set(steps, {
      label: `Chorus (embedded executor + Postgres${suffix(steps)})`,
      engine: "chorus",
      persistent: true,
      executor,
      pool,
      runOnce: () => run((event) => inngest.send(event)),
      runDirect: () => run((event) => executor.send(event)),
      storeTimings,
      resetStoreTimings: () => storeTimings.clear(),
      // The engine is closed once, by `close` below.
      close: async () => {},
    });
  });
  return { contestants, close };
}

/** Chorus with persistence, one graph: see `chorusEngine`. */
export async function chorusDurable(url: string, steps = 3): Promise<ChorusDurable> {
  const engine = await chorusEngine(url, [steps]);
  return { ...engine.contestants.get(steps)!, close: engine.close };
}

/**
 * Chorus without persistence: the same function, run by the same SDK entry point the
 * executor's RunDriver uses (`executeFunction`, in the SDK's checkpointing mode as the driver
 * runs it: each step it ran is reported to a callback and the function runs on; a replay only
 * when it stops), with the state in a Map. This is the engine loop minus the database.
 */
export function chorusInMemory(steps = 3): Contestant {
  const inngest = new Inngest({ id: "bench", ...embeddedClientOptions, logger: quietLogger });
  const fn = chorusFunction(inngest, steps);
  const definition = describeFunctions(inngest, [fn])[0]!;
  const gate = async () => {};
  return {
    label: `Chorus in memory (same SDK replay loop, no DB${suffix(steps)})`,
    engine: "chorus",
    persistent: false,
    async runOnce() {
      const id = randomUUID();
      const event = { id, name: chorusEvent(steps), data: { topic: `topic ${id.slice(0, 8)}` }, ts: Date.now() };
      const memo = new Map<string, string>();
      const order: string[] = [];
      const record = (step: { id: string; data?: unknown }) => {
        memo.set(step.id, JSON.stringify(step.data ?? null));
        order.push(step.id);
      };
      const checkpoint = (found: { id: string; op: string; data?: unknown }[]) => {
        for (const step of found) if (step.op !== StepOpCode.RunComplete) record(step);
      };
      for (;;) {
        const stepState: Record<string, { id: string; data: unknown }> = {};
        for (const [stepId, data] of memo) stepState[stepId] = { id: stepId, data: JSON.parse(data) };
        const result = await executeFunction(
          inngest,
          definition,
          { runId: id, event, attempt: 0, stepState, stepCompletionOrder: [...order], disableImmediateExecution: false, checkpoint },
          gate,
        );
        if (result.type === "step-ran") {
          record(result.step);
          continue;
        }
        if (result.type === "function-resolved") return result.data;
        const complete = result.type === "steps-found" ? result.steps.find((step) => step.op === StepOpCode.RunComplete) : undefined;
        if (complete) return complete.data;
        throw new Error(`unexpected in-memory result ${result.type}`);
      }
    },
    async close() {},
  };
}

/** Chorus's function through Inngest's own in-process test engine (@inngest/test), for reference. */
export function chorusTestEngine(): Contestant {
  const inngest = new Inngest({ id: "bench", ...embeddedClientOptions, logger: quietLogger });
  const fn = chorusFunction(inngest);
  return {
    label: "Chorus fn via @inngest/test (reference)",
    engine: "chorus",
    persistent: false,
    async runOnce() {
      const id = randomUUID();
      const engine = new InngestTestEngine({
        function: fn,
        events: [{ id, name: "bench/graph.requested", data: { topic: `topic ${id.slice(0, 8)}` } }],
      });
      const { result } = await engine.execute();
      return result;
    },
    async close() {},
  };
}

// ── LangGraph ──────────────────────────────────────────────────────────────────────────────
const GraphState = Annotation.Root({
  topic: Annotation<string>,
  notes: Annotation<string>,
  sources: Annotation<string[]>,
  insights: Annotation<string>,
  summary: Annotation<string>,
});

function langGraph(steps: number) {
  const names = stepNames(steps);
  // Node names are built at run time, so the builder's literal-type tracking is bypassed.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const graph: any = new StateGraph(GraphState);
  graph.addNode("research", (state: typeof GraphState.State) => research(state.topic));
  for (let round = 1; round <= steps - 2; round++) {
    graph.addNode(names[round], (state: typeof GraphState.State) => analysis(state.notes, state.sources, round));
  }
  graph.addNode("synthesis", (state: typeof GraphState.State) => synthesis(state.notes, state.insights));
  graph.addEdge(START, "research");
  for (let index = 1; index < names.length; index++) graph.addEdge(names[index - 1], names[index]);
  graph.addEdge("synthesis", END);
  return graph as StateGraph<typeof GraphState.spec>;
}

export async function langGraphDurable(url: string, durability: "async" | "sync" = "async", steps = 3): Promise<Contestant> {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  pool.on("error", () => undefined);
  const saver = new PostgresSaver(pool);
  await saver.setup();
  const app = langGraph(steps).compile({ checkpointer: saver });
  return {
    label: (durability === "async" ? "LangGraph + PostgresSaver" : "LangGraph + PostgresSaver, durability sync") + suffix(steps),
    engine: "langgraph",
    persistent: true,
    runOnce() {
      const id = randomUUID();
      return app.invoke({ topic: `topic ${id.slice(0, 8)}` }, { configurable: { thread_id: id }, durability });
    },
    async close() {
      await pool.end();
    },
  };
}

export function langGraphInMemory(steps = 3): Contestant {
  const app = langGraph(steps).compile();
  return {
    label: `LangGraph, no checkpointer${suffix(steps)}`,
    engine: "langgraph",
    persistent: false,
    runOnce() {
      const id = randomUUID();
      return app.invoke({ topic: `topic ${id.slice(0, 8)}` });
    },
    async close() {},
  };
}

// ── Mastra ─────────────────────────────────────────────────────────────────────────────────
function mastraWorkflow(steps: number) {
  const names = stepNames(steps);
  const researched = z.object({ notes: z.string(), sources: z.array(z.string()) });
  const analysed = z.object({ notes: z.string(), sources: z.array(z.string()), insights: z.string() });
  const researchStep = createStep({
    id: "research",
    inputSchema: z.object({ topic: z.string() }),
    outputSchema: researched,
    execute: async ({ inputData }) => research(inputData.topic),
  });
  const analysisSteps = Array.from({ length: steps - 2 }, (_, index) =>
    createStep({
      id: names[index + 1]!,
      inputSchema: z.object({ notes: z.string(), sources: z.array(z.string()), insights: z.string().optional() }),
      outputSchema: analysed,
      execute: async ({ inputData }) => ({
        notes: inputData.notes,
        sources: inputData.sources,
        ...analysis(inputData.notes, inputData.sources, index + 1),
      }),
    }),
  );
  const synthesisStep = createStep({
    id: "synthesis",
    inputSchema: analysed,
    outputSchema: z.object({ summary: z.string() }),
    execute: async ({ inputData }) => synthesis(inputData.notes, inputData.insights),
  });
  // Step types change along the chain, so the builder's generic tracking is bypassed.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let workflow: any = createWorkflow({
    id: "graph",
    inputSchema: z.object({ topic: z.string() }),
    outputSchema: z.object({ summary: z.string() }),
  }).then(researchStep);
  for (const step of analysisSteps) workflow = workflow.then(step);
  return workflow.then(synthesisStep).commit() as ReturnType<typeof createWorkflow>;
}

function mastraContestant(mastra: Mastra, persistent: boolean, steps: number, close: () => Promise<void>): Contestant {
  const workflow = mastra.getWorkflow("graph");
  return {
    label: (persistent ? "Mastra + PostgresStore" : "Mastra, no storage") + suffix(steps),
    engine: "mastra",
    persistent,
    async runOnce() {
      const run = await workflow.createRunAsync();
      const id = run.runId;
      const result = await run.start({ inputData: { topic: `topic ${id.slice(0, 8)}` } });
      if (result.status !== "success") throw new Error(`mastra run ${result.status}`);
      return result.result;
    },
    close,
  };
}

export async function mastraDurable(url: string, steps = 3): Promise<Contestant> {
  const storage = new PostgresStore({ connectionString: url, max: POOL_SIZE });
  const mastra = new Mastra({ workflows: { graph: mastraWorkflow(steps) }, storage, logger: false, telemetry: { enabled: false } });
  await storage.init();
  return mastraContestant(mastra, true, steps, async () => {
    await storage.close?.();
  });
}

export function mastraInMemory(steps = 3): Contestant {
  const mastra = new Mastra({ workflows: { graph: mastraWorkflow(steps) }, logger: false, telemetry: { enabled: false } });
  return mastraContestant(mastra, false, steps, async () => {});
}
