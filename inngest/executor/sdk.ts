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
  return internals(definition.fn)
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
        stepMode: StepMode.Async,
        requestedRunStep: input.requestedRunStep,
        disableImmediateExecution: input.disableImmediateExecution,
        handlerKind: definition.handlerKind,
        middlewareInstances,
        reqArgs: [],
        headers: {},
      },
    })
    .start();
}
