/**
 * The one module that reaches into the Inngest SDK's internals (pinned exactly in
 * package.json). It reads each function's registration config the way `serve()` does and
 * starts executions the way `@inngest/test` and the SDK's own comm handler do, through the
 * function's protected `createExecution`. An SDK upgrade that changes either shows up here.
 */
import { type Inngest, type InngestFunction, Middleware } from "inngest";
import type { InngestExecution } from "inngest/internals";
import { StepMode, StepOpCode } from "inngest/types";
import type { FunctionConfig, OutgoingOp } from "inngest/types";
import { type ConcurrencyRule, concurrencyRules } from "./concurrency";

export { StepOpCode };
export type ExecutionResult = InngestExecution.ExecutionResult;
export type FoundOp = OutgoingOp;

/** Inngest's default when a function sets no `retries` (see the `retries` option's docs). */
export const DEFAULT_RETRIES = 3;

/** The event an invoked function receives, as the Inngest server names it. */
export const INVOKED_EVENT = "inngest/function.invoked";
/** The event the server sends when a run fails for good; `onFailure` handlers trigger on it. */
export const FAILED_EVENT = "inngest/function.failed";

export interface CancelRule {
  event: string;
  if?: string;
  timeout?: string;
}

/** One executable function as the server sees it after `serve()` registers the app. */
export interface FunctionDefinition {
  /** The app-prefixed id (`chorus-coordinator`): what `step.invoke` and the run rows use. */
  id: string;
  fn: InngestFunction.Any;
  /** `failure` for the `<id>-failure` function the SDK registers for an `onFailure` handler. */
  handlerKind: "main" | "failure";
  triggers: { event?: string; expression?: string; cron?: string }[];
  cancelOn: CancelRule[];
  maxAttempts: number;
  /** The `concurrency` option's limits (none for an `onFailure` handler, as on Inngest). */
  concurrency: ConcurrencyRule[];
}

interface InternalFunction {
  getConfig(options: { baseUrl: URL; appPrefix: string }): FunctionConfig[];
  /** What `serve()` asks to choose checkpointing mode: the function's `checkpointing` option, on by default. */
  shouldAsyncCheckpoint(
    requestedRunStep: string | undefined,
    internalFnId: string | undefined,
    disableImmediateExecution: boolean,
    defaultMaxRuntime: number,
  ): InngestExecution.InngestExecutionOptions["checkpointingConfig"];
  createExecution(options: { partialOptions: Omit<InngestExecution.InngestExecutionOptions, "fn"> }): {
    start(): Promise<ExecutionResult>;
  };
}

const internals = (fn: InngestFunction.Any) => fn as unknown as InternalFunction;

/** Reads every function's triggers, cancellation rules, retries and concurrency from its registration config. */
export function describeFunctions(client: Inngest.Any, functions: InngestFunction.Any[]): FunctionDefinition[] {
  return functions.flatMap((fn) =>
    internals(fn)
      .getConfig({ baseUrl: new URL("http://chorus.embedded/api/inngest"), appPrefix: client.id })
      // getConfig lists the function first, then its `onFailure` handler if it has one.
      .map((config, index): FunctionDefinition => {
        const handlerKind = index === 0 ? "main" : "failure";
        const retries = config.steps["step"]?.retries?.attempts ?? DEFAULT_RETRIES;
        return {
          id: config.id,
          fn,
          handlerKind,
          triggers: config.triggers.map((trigger) =>
            "cron" in trigger ? { cron: trigger.cron } : { event: trigger.event, expression: trigger.expression },
          ),
          cancelOn: (config.cancel ?? []).map((rule) => ({ event: rule.event, if: rule.if, timeout: rule.timeout })),
          maxAttempts: retries + 1,
          concurrency: concurrencyRules(config.concurrency),
        };
      }),
  );
}

export interface ExecutionInput {
  runId: string;
  event: Record<string, unknown>;
  attempt: number;
  stepState: Record<string, { id: string; data: unknown } | { id: string; error: unknown }>;
  stepCompletionOrder: string[];
  /** Run exactly this (hashed) step; used for steps found in parallel. */
  requestedRunStep?: string;
  /** Report steps instead of running a lone new one; set while other steps are in flight. */
  disableImmediateExecution: boolean;
  /**
   * Keep going after a step: receives each step the SDK ran and resolves when the function may
   * continue (see `checkpointRoute`). Used for discovery executions, not for a requested step.
   */
  checkpoint?: (steps: FoundOp[]) => void;
}

interface CheckpointArgs {
  runId: string;
  queueItemId: string;
  steps: FoundOp[];
}
type CheckpointApi = { checkpointStepsAsync(args: CheckpointArgs): Promise<void> } & {
  [routesKey]?: Map<string, (steps: FoundOp[]) => void>;
};
const routesKey = Symbol.for("chorus.executor.checkpoint-routes");
/** Inngest's `DefaultMaxRuntime.connect`: after this long in one execution, steps go back to one per execution. */
const EMBEDDED_MAX_RUNTIME_MS = 300_000;
let nextRoute = 0;

/**
 * The SDK's checkpointing mode (`StepMode.AsyncCheckpointing`, what Inngest uses to run a
 * function's steps one after another in one request) reports each step it ran to
 * `client.inngestApi.checkpointStepsAsync` and then runs the function on, instead of returning
 * and being replayed from the top for the next step. In embedded mode that report is routed to
 * the run's driver (keyed by the `queueItemId` the executor gives each execution), which records
 * the step like a step the SDK returned; anything else goes to the real API.
 */
function checkpointRoutes(client: Inngest.Any): Map<string, (steps: FoundOp[]) => void> {
  const api = (client as unknown as { inngestApi: CheckpointApi }).inngestApi;
  let routes = api[routesKey];
  if (!routes) {
    const known = (routes = new Map<string, (steps: FoundOp[]) => void>());
    const original = api.checkpointStepsAsync.bind(api);
    api.checkpointStepsAsync = async (args: CheckpointArgs) => {
      const route = known.get(args.queueItemId);
      if (!route) return original(args);
      route(args.steps);
    };
    api[routesKey] = routes;
  }
  return routes;
}

/**
 * Holds every step's own code until `ready()` resolves: the engine lets the next replay run
 * while the previous step's result is still being written, but no step may start (no side
 * effect may happen) before that write proved the lease. Innermost, so it wraps the step's
 * code directly.
 */
class StepGate extends Middleware.BaseMiddleware {
  readonly id = "chorus-embedded-executor";
  constructor(
    client: Inngest.Any,
    private readonly ready: () => Promise<void>,
  ) {
    super({ client });
  }

  override async wrapStepHandler({ next }: Middleware.WrapStepHandlerArgs) {
    await this.ready();
    return next();
  }
}

/**
 * One execution request: replay the function against the memoised state and report what it
 * did. Middleware is instantiated per request from the client and the function, as `serve()`
 * does, then the step gate.
 */
export function executeFunction(
  client: Inngest.Any,
  definition: FunctionDefinition,
  input: ExecutionInput,
  beforeStep: () => Promise<void>,
) {
  const middlewareInstances = [...client.middleware, ...(definition.fn.opts.middleware ?? [])].map(
    (Middleware) => new Middleware({ client }),
  );
  middlewareInstances.push(new StepGate(client, beforeStep));
  // As `serve()` decides it, with the runtime limit of a long-lived worker (Inngest Connect's):
  // the embedded executor has no HTTP request to time out.
  const checkpointingConfig = input.checkpoint
    ? internals(definition.fn).shouldAsyncCheckpoint(
        input.requestedRunStep,
        definition.id,
        input.disableImmediateExecution,
        EMBEDDED_MAX_RUNTIME_MS,
      )
    : undefined;
  const checkpointing = checkpointingConfig !== undefined;
  const routes = checkpointing ? checkpointRoutes(client) : undefined;
  const route = checkpointing ? `chorus-${process.pid}-${nextRoute++}` : undefined;
  if (routes && route) routes.set(route, input.checkpoint!);
  const execution = internals(definition.fn)
    .createExecution({
      partialOptions: {
        client,
        runId: input.runId,
        data: {
          runId: input.runId,
          attempt: input.attempt,
          maxAttempts: definition.maxAttempts,
          event: input.event as never,
          events: [input.event as never],
        },
        stepState: input.stepState,
        stepCompletionOrder: input.stepCompletionOrder,
        stepMode: checkpointing ? StepMode.AsyncCheckpointing : StepMode.Async,
        ...(checkpointing ? { checkpointingConfig, queueItemId: route, internalFnId: definition.id } : {}),
        requestedRunStep: input.requestedRunStep,
        disableImmediateExecution: input.disableImmediateExecution,
        handlerKind: definition.handlerKind,
        middlewareInstances,
        reqArgs: [],
        headers: {},
      },
    })
    .start();
  return routes && route ? execution.finally(() => routes.delete(route)) : execution;
}
