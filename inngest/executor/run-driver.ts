/**
 * Drives one claimed run the way the Inngest server drives a function over HTTP: replay the
 * function with its memoised steps, persist what the step it ran returned, replay again, and
 * turn what it reports waiting on into work (parallel steps), waits (sleep, waitForEvent,
 * invoke) or an outcome (completed, failed, retry later). It stops when the run finishes, only
 * waits, backs off for a retry, or its lease is lost (cancelled, or taken over after a stall).
 *
 * A step's result is written in the background while the next replay runs (the SDK's replay
 * costs CPU, the write costs a round trip and a commit, so they overlap), but the next step's
 * own code is held by a gate until every earlier write has committed and so proved the lease.
 * No step starts on a result that is not durable, and nothing else is written before it is.
 *
 * A run of a function with concurrency limits holds one slot while it is leased; parallel steps
 * beyond the first each need a slot of their own (as on Inngest, where each parallel step is a
 * request), asked for when found and given back once they are done. Steps without a slot wait
 * in `queued` for one of the run's own steps to finish.
 */
import { randomUUID } from "node:crypto";
import type { Inngest } from "inngest";
import { serializeError } from "inngest";
import { concurrencyGroups } from "./concurrency";
import { compileExpression } from "./expression";
import { childRunId } from "./identity";
import type { ExecutorLogger } from "./logging";
import {
  type ExecutionResult,
  FAILED_EVENT,
  type FoundOp,
  type FunctionDefinition,
  INVOKED_EVENT,
  StepOpCode,
  executeFunction,
} from "./sdk";
import type { ClaimedRun, NewRun, PendingStep, PersistResult, RunStore, WaitSpec } from "./store";
import { parseDuration, retryAfterDelayMs, retryDelayMs, sleepTarget } from "./timing";

/** What the executor counts since start-up. */
export interface ExecutorCounters {
  runsClaimed: number;
  runsCompleted: number;
  runsFailed: number;
  stepsPersisted: number;
  /** Wall time from issuing each step's INSERT to its commit, summed (ms); it overlaps the next replay. */
  persistMs: number;
  retriesScheduled: number;
  leasesLost: number;
}

/** The counters, and what the executor holds now (for /api/metrics). */
export interface ExecutorStats extends ExecutorCounters {
  /** Runs this executor is driving now. */
  runsInProgress: number;
  /** How long the run held longest by this executor has been held (0 when none is). */
  oldestLeaseHeldMs: number;
}

/** What a driver needs from the executor that owns it. */
export interface DriverHost {
  readonly client: Inngest.Any;
  readonly store: RunStore;
  readonly retryBaseDelayMs: number;
  readonly logger: ExecutorLogger;
  isStopping(): boolean;
  definition(functionId: string): FunctionDefinition | undefined;
  /** The runs an event starts (used to start `onFailure` handlers). */
  runsForEvent(event: Record<string, unknown>): NewRun[];
  /** Something became runnable now, or will be in `delayMs`. */
  wake(delayMs?: number): void;
  /** Drives runs this worker took over in a statement of its own (woken parents). */
  adopt(runs: ClaimedRun[]): void;
  count(stat: keyof ExecutorCounters, amount?: number): void;
}

type SerializedError = Record<string, unknown> & { name: string; message: string };

interface Memo {
  /** JSON text of the step's result, or of its error: parsed afresh for every replay, as an HTTP request would be. */
  data?: string;
  error?: string;
}

const toJson = (value: unknown) => JSON.stringify(value === undefined ? null : value);

function asSerializedError(error: unknown): SerializedError {
  return serializeError(error) as unknown as SerializedError;
}

function unsupported(what: string): SerializedError {
  return { name: "NotSupportedError", message: `${what} is not supported by Chorus's embedded executor (see inngest/executor/README.md)` };
}

/** Ops that are not awaitable steps: they only accompany `defer()`, which the engine lacks. */
const runLevelOps = new Set<string>([StepOpCode.DeferAdd, StepOpCode.DeferAbort, StepOpCode.RunComplete]);

/** Thrown by the step gate to stop a step from starting; its result is discarded. */
class StepHeld extends Error {
  constructor(reason: string) {
    super(`Step not started: ${reason}`);
    this.name = "StepHeld";
  }
}

export class RunDriver {
  private readonly memo = new Map<string, Memo>();
  private readonly order: string[] = [];
  private readonly waiting = new Set<string>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Parallel steps waiting for a concurrency slot (limited runs only). */
  private readonly queued: string[] = [];
  /** Concurrency slots this run holds: how many of its steps may execute at once (limited runs). */
  private slots = 1;
  /** Step results recorded in memory and not yet written (see `flush`). */
  private pending: PendingStep[] = [];
  /** The run's stored attempt counter must be zeroed with the next write (a step succeeded after a retry). */
  private resetPending = false;
  private readonly writes = new Set<Promise<void>>();
  private writeError: unknown;
  private attempt: number;
  private storedAttempt: number;
  private retry: { delayMs: number; error: SerializedError } | undefined;
  /** Set when another party owns the run now (cancelled, or our lease expired and was taken). */
  lost = false;
  /** Set when a step we ran had already been stored by someone else: reload before going on. */
  private stale = false;
  /** Set once the driver is handing the run back (finish, park, retry, release). */
  private lettingGo = false;
  /** Set when the step gate held a step because the worker is stopping: what the execution reports is void. */
  private halted = false;
  /** Ops an execution in checkpointing mode reported that are not steps (`defer()`'s); acted on after it. */
  private readonly checkpointedRunLevel: FoundOp[] = [];

  /** False while the statement creating this (fresh) run may still be uncommitted. */
  private creationSettled: boolean;

  constructor(
    private readonly host: DriverHost,
    private readonly run: ClaimedRun,
  ) {
    this.attempt = run.attempt;
    this.storedAttempt = run.attempt;
    this.creationSettled = !run.created;
    void run.created?.finally(() => (this.creationSettled = true));
  }

  /** Its lease can be renewed: the run exists (a fresh run's creating statement has committed). */
  get renewable() {
    return this.creationSettled;
  }

  get runId() {
    return this.run.id;
  }

  /**
   * What an execution reports now is void: the run is no longer ours, its stored steps changed
   * (reload and replay), or the gate held a step because the worker is stopping.
   */
  private get reportsVoid() {
    return this.lost || this.stale || this.halted;
  }

  /** The run holds a concurrency slot while driven. */
  get limited() {
    return this.run.limited;
  }

  async drive(): Promise<void> {
    const definition = this.host.definition(this.run.functionId);
    if (!definition) {
      if (!(await this.isCreated())) return;
      await this.finish(undefined, "failed", {
        name: "FunctionNotFoundError",
        message: `No function "${this.run.functionId}" is registered with this executor`,
      });
      return;
    }
    if (!this.run.fresh) await this.load();
    while (!this.lost) {
      if (this.stale) {
        if (!(await this.quiesce())) continue;
      }
      if (this.host.isStopping()) {
        if (!(await this.isCreated())) return;
        if (!(await this.quiesce())) continue;
        this.lettingGo = true;
        await this.host.store.release([this.run.id], this.attempt);
        return;
      }
      await this.returnIdleSlots();
      const result = await this.execute(definition, { disableImmediateExecution: this.inFlight.size > 0 });
      if (!(await this.isCreated())) return;
      if (this.reportsVoid) continue;
      if (await this.act(definition, result)) return;
    }
  }

  /** False when the statement that was to create this fresh run did not: the run is not ours to drive. */
  private async isCreated(): Promise<boolean> {
    if (!this.run.created || (await this.run.created)) return true;
    this.lost = true;
    return false;
  }

  private async load() {
    const state = await this.host.store.loadRunState(this.run.id);
    this.memo.clear();
    this.order.length = 0;
    for (const step of state.steps) {
      this.memo.set(step.stepId, step.error !== null ? { error: step.error } : { data: step.data ?? "null" });
      this.order.push(step.stepId);
    }
    this.waiting.clear();
    for (const stepId of state.waiting) this.waiting.add(stepId);
  }

  private execute(
    definition: FunctionDefinition,
    options: { requestedRunStep?: string; disableImmediateExecution: boolean },
  ): Promise<ExecutionResult> {
    const stepState: Record<string, { id: string; data: unknown } | { id: string; error: unknown }> = {};
    for (const [id, memo] of this.memo) {
      stepState[id] = memo.error !== undefined ? { id, error: JSON.parse(memo.error) } : { id, data: JSON.parse(memo.data ?? "null") };
    }
    return executeFunction(
      this.host.client,
      definition,
      {
        runId: this.run.id,
        event: JSON.parse(this.run.event) as Record<string, unknown>,
        attempt: this.attempt,
        stepState,
        stepCompletionOrder: [...this.order],
        ...options,
        checkpoint: this.checkpointed,
      },
      this.stepGate,
    );
  }

  /**
   * A step the SDK ran in checkpointing mode, which then runs the function on: record it as a
   * step it returned (written before the next step starts, or with whatever ends the execution).
   */
  private readonly checkpointed = (steps: FoundOp[]) => {
    for (const step of steps) {
      if (runLevelOps.has(step.op)) this.checkpointedRunLevel.push(step);
      else this.recordStep(step, undefined);
    }
  };

  /** Runs before any step's own code: waits for earlier writes, refuses if the run is no longer ours. */
  private readonly stepGate = async () => {
    if (!(await this.isCreated())) throw new StepHeld("the run was not created by this worker");
    await this.writesDurable();
    if (this.lost) throw new StepHeld("the run is no longer held by this worker");
    if (this.stale) throw new StepHeld("the run's stored steps changed; replaying");
    if (this.host.isStopping()) {
      this.halted = true; // an execution in checkpointing mode would run on: hand the run over instead
      throw new StepHeld("this worker is stopping");
    }
  };

  /** Acts on one execution's result; true when this driver is done with the run. */
  private async act(definition: FunctionDefinition, result: ExecutionResult): Promise<boolean> {
    if (this.checkpointedRunLevel.length > 0) return this.proceed(definition, this.checkpointedRunLevel.splice(0));
    switch (result.type) {
      case "function-resolved":
        if (!(await this.quiesce({ flush: false }))) return this.lost;
        return this.finish(definition, "completed", undefined, result.data);
      case "function-rejected": {
        if (!(await this.quiesce({ flush: false }))) return this.lost;
        const error = asSerializedError(result.error);
        if (result.retriable === false) return this.finish(definition, "failed", error);
        this.noteRetry(error, result.retriable);
        return this.retryLater(definition);
      }
      case "step-ran":
        this.recordStep(result.step, result.retriable);
        return this.retry ? this.retryLater(definition) : false;
      case "steps-found":
        return this.proceed(definition, result.steps);
      case "step-not-found":
        this.noteRetry({
          name: "StepNotFoundError",
          message: `Step "${result.step.displayName ?? result.step.id}" was not found when replaying`,
        });
        return this.retryLater(definition);
      case "change-mode":
        this.noteRetry({ name: "UnexpectedResultError", message: `The SDK asked to change to step mode "${result.to}"` });
        return this.retryLater(definition);
    }
  }

  /**
   * The function now waits on `ops`: record its waits, then start its steps (so an event a
   * step causes, as in `Promise.all([step.waitForEvent(…), step.sendEvent(…)])`, finds its
   * wait), then go on, wait for a step or park.
   */
  private async proceed(definition: FunctionDefinition, ops: FoundOp[]): Promise<boolean> {
    const waits: WaitSpec[] = [];
    const planned: string[] = [];
    let progressed = false;
    for (const op of ops) {
      if (this.inFlight.has(op.id) || this.queued.includes(op.id) || this.waiting.has(op.id) || this.memo.has(op.id)) continue;
      const label = op.displayName ?? op.name ?? op.id;
      if (runLevelOps.has(op.op)) {
        if (!(await this.quiesce({ flush: false }))) return this.lost;
        // The function returned (in checkpointing mode its result comes as this op)...
        const complete = ops.find((candidate) => candidate.op === StepOpCode.RunComplete);
        if (complete && ops.every((candidate) => candidate.op === StepOpCode.RunComplete)) {
          return this.finish(definition, "completed", undefined, complete.data);
        }
        // ...but defer() and the ops that ride along with it are not steps a function can catch.
        const deferred = ops.find((candidate) => candidate.op !== StepOpCode.RunComplete && runLevelOps.has(candidate.op)) ?? op;
        return this.finish(definition, "failed", unsupported(`The "${deferred.op}" operation (defer())`));
      }
      try {
        if (op.op === StepOpCode.StepPlanned) planned.push(op.id);
        else if (op.op === StepOpCode.Sleep) waits.push({ stepId: op.id, kind: "sleep", ...sleepTarget(op.name ?? "") });
        else if (op.op === StepOpCode.WaitForEvent) waits.push(this.eventWait(op));
        else if (op.op === StepOpCode.InvokeFunction) waits.push(this.invocation(op));
        else {
          this.persist(op.id, label, { error: toJson(unsupported(`The "${op.op}" step operation`)) });
          progressed = true;
        }
      } catch (error) {
        // A malformed op (bad duration, unsupported expression, unknown function): the
        // function sees the step fail, as it would if Inngest rejected the op.
        this.persist(op.id, label, { error: toJson(asSerializedError(error)) });
        progressed = true;
      }
    }
    if (waits.length > 0) {
      // Promptly, even while other parallel steps run: an event sent meanwhile must find it.
      // The steps recorded since the last write go in the same statement (one commit).
      const fold = !this.resetPending;
      if (!(await this.writesDurable({ flush: !fold }))) return this.lost;
      const steps = fold ? this.takePending() : [];
      // Only waiting from now on: let go of the run in the same statement.
      const parkNow = planned.length === 0 && !progressed && !this.retry && this.inFlight.size === 0 && this.queued.length === 0;
      if (parkNow) this.lettingGo = true;
      const { held, conflict, children, parked } = await this.host.store.createWaits(
        this.run.id,
        waits,
        steps,
        parkNow ? { attempt: this.attempt } : undefined,
      );
      if (!held) {
        this.loseLease();
        return true;
      }
      if (conflict) {
        this.lettingGo = false;
        this.stale = true; // the loop reloads the stored steps and replays
        return false;
      }
      this.host.count("stepsPersisted", steps.length);
      for (const wait of waits) this.waiting.add(wait.stepId);
      if (children > 0) this.host.wake();
      if (parked) {
        if (parked.wakeInMs !== null) this.host.wake(Math.max(0, parked.wakeInMs));
        return true;
      }
    }
    await this.startSteps(definition, planned);
    if (this.retry) return this.retryLater(definition);
    if (this.inFlight.size > 0) {
      await this.nextCompletion();
      return false;
    }
    if (progressed) return false;
    if (this.waiting.size === 0) {
      // Nothing runs, nothing waits: parking now would strand the run. Never expected.
      this.noteRetry({ name: "UnexpectedResultError", message: "The function reported only steps that already completed" });
      return this.retryLater(definition);
    }
    return this.park();
  }

  private eventWait(op: FoundOp): WaitSpec {
    const opts = (op.opts ?? {}) as { timeout?: string; if?: string };
    if (opts.if) compileExpression(opts.if); // reject unsupported syntax now, not by never matching
    return { stepId: op.id, kind: "event", eventName: op.name, condition: opts.if, delayMs: parseDuration(opts.timeout ?? "") };
  }

  private invocation(op: FoundOp): WaitSpec {
    const opts = (op.opts ?? {}) as { function_id?: string; payload?: { data?: unknown; v?: string }; timeout?: string };
    const functionId = opts.function_id ?? "";
    if (!this.host.definition(functionId)) {
      throw Object.assign(new Error(`step.invoke: no function "${functionId}" is registered with this executor`), {
        name: "FunctionNotFoundError",
      });
    }
    const event = {
      name: INVOKED_EVENT,
      id: randomUUID(),
      ts: Date.now(),
      data: opts.payload?.data ?? {},
      ...(opts.payload?.v ? { v: opts.payload.v } : {}),
    };
    return {
      stepId: op.id,
      kind: "invoke",
      ...(opts.timeout ? { delayMs: parseDuration(opts.timeout) } : {}),
      child: {
        id: childRunId(this.run.id, op.id),
        functionId,
        event,
        concurrency: concurrencyGroups(functionId, this.host.definition(functionId)!.concurrency, event),
      },
    };
  }

  /** Starts steps found together: all at once, or for a limited run as many as it has slots for. */
  private async startSteps(definition: FunctionDefinition, stepIds: string[]) {
    if (!this.run.limited) {
      for (const stepId of stepIds) this.startStep(definition, stepId);
      return;
    }
    this.queued.push(...stepIds);
    const wanted = this.inFlight.size + this.queued.length;
    if (wanted > this.slots) this.slots = (await this.host.store.takeSlots(this.run.id, wanted)) ?? this.slots;
    this.startQueued(definition);
  }

  private startQueued(definition: FunctionDefinition) {
    if (this.reportsVoid) {
      this.queued.length = 0; // the replay after a reload finds them again
      return;
    }
    while (this.queued.length > 0 && this.inFlight.size < this.slots) this.startStep(definition, this.queued.shift()!);
  }

  /** Gives back the slots of finished parallel steps, so other runs of the group can use them. */
  private async returnIdleSlots() {
    const needed = Math.max(1, this.inFlight.size + this.queued.length);
    if (!this.run.limited || this.slots <= needed) return;
    this.slots = needed;
    await this.host.store.returnSlots(this.run.id, needed);
    this.host.wake();
  }

  /** Runs one of several steps found together, concurrently with the others. */
  private startStep(definition: FunctionDefinition, stepId: string) {
    const task = this.execute(definition, { requestedRunStep: stepId, disableImmediateExecution: true })
      .then((result) => {
        if (this.reportsVoid) return;
        if (result.type === "step-ran") {
          this.recordStep(result.step, result.retriable);
          // Its siblings may run for long: don't leave its result unwritten until they end.
          this.flush();
        } else this.noteRetry({ name: "UnexpectedResultError", message: `Running step ${stepId} returned "${result.type}"` });
      })
      .catch((error: unknown) => this.noteRetry(asSerializedError(error)))
      .finally(() => {
        this.inFlight.delete(stepId);
        if (this.queued.length > 0) this.startQueued(definition);
      });
    this.inFlight.set(stepId, task);
  }

  /** A step the SDK ran: persist its result, persist its final error, or note a retry. */
  private recordStep(step: FoundOp, retriable: boolean | string | undefined) {
    if (this.reportsVoid) return; // the gate held it: nothing ran
    const name = step.displayName ?? step.name ?? null;
    if (step.op === StepOpCode.StepError) {
      this.noteRetry(asSerializedError(step.error), retriable);
    } else if (step.op === StepOpCode.StepFailed) {
      // Retries are spent (or it threw NonRetriableError): the function now sees a StepError
      // thrown from the step, which it may catch.
      this.persist(step.id, name, { error: toJson(asSerializedError(step.error)) });
    } else {
      this.persist(step.id, name, { data: toJson(step.data) });
    }
  }

  /**
   * Records a step's result: in memory at once (the next replay uses it), in the database with
   * the next write — `flush` before the next step's code starts (the step gate), or in the same
   * statement as what ends this stretch of the run (waits, finish), so a run's last step and
   * its outcome share one commit.
   */
  private persist(stepId: string, name: string | null, memo: Memo) {
    if (this.storedAttempt > 0) this.resetPending = true;
    this.storedAttempt = 0;
    this.attempt = 0;
    this.memo.set(stepId, memo);
    this.order.push(stepId);
    this.pending.push({ stepId, name, data: memo.data ?? null, error: memo.error ?? null });
  }

  private takePending(): PendingStep[] {
    const steps = this.pending;
    this.pending = [];
    this.resetPending = false;
    return steps;
  }

  /** Writes the pending step results in the background (batched with other runs' writes). */
  private flush() {
    if (this.pending.length === 0) return;
    const resetAttempt = this.resetPending;
    const steps = this.takePending();
    const started = performance.now();
    const write = this.host.store
      .writeSteps(this.run.id, steps, resetAttempt)
      .then(
        (result) => {
          this.host.count("persistMs", performance.now() - started);
          this.settle(result, steps.length);
        },
        (error: unknown) => {
          this.writeError ??= error;
        },
      )
      .finally(() => this.writes.delete(write));
    this.writes.add(write);
  }

  private settle(result: PersistResult, steps: number) {
    if ("lost" in result) this.loseLease();
    else if ("conflict" in result)
      this.stale = true; // a worker whose lease we took stored it first; theirs wins
    else this.host.count("stepsPersisted", steps);
  }

  /**
   * Writes the pending step results (unless `flush` is false: the caller writes them itself) and
   * waits for every write in flight; false when the run must not be written to now.
   */
  private async writesDurable({ flush = true }: { flush?: boolean } = {}): Promise<boolean> {
    if (flush) this.flush();
    while (this.writes.size > 0) await Promise.all(this.writes);
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows the database's own error, as it came
    if (this.writeError !== undefined) throw this.writeError; // the database failed us: see startDriver
    return !this.lost && !this.stale;
  }

  /**
   * Lets parallel steps finish and every write land. True when the driver may write the run's
   * next state; after a conflict it reloads the stored steps and returns false (replay again).
   */
  private async quiesce(options: { flush?: boolean } = {}): Promise<boolean> {
    while (this.inFlight.size > 0) await Promise.allSettled(this.inFlight.values());
    if (await this.writesDurable(options)) return true;
    if (this.stale && !this.lost) {
      this.stale = false;
      this.retry = undefined;
      this.takePending(); // computed on a state that was not the stored one: replayed from the reload
      this.checkpointedRunLevel.length = 0;
      await this.load();
    }
    return false;
  }

  private async nextCompletion() {
    await Promise.race(this.inFlight.values());
    // Let steps that finished at the same moment land too, so one replay sees them all.
    await new Promise((resolve) => setImmediate(resolve));
  }

  private noteRetry(error: SerializedError, retriable?: boolean | string) {
    const requested = typeof retriable === "string" ? retryAfterDelayMs(retriable) : undefined;
    const delayMs = requested ?? retryDelayMs(this.attempt, this.host.retryBaseDelayMs);
    this.retry = { delayMs: Math.max(this.retry?.delayMs ?? 0, delayMs), error };
  }

  /**
   * Hands the run back to be retried after the backoff, or fails it when its attempts are spent
   * (the SDK decides that for errors thrown by the function; this catches the engine's own).
   * True (the driver is done) unless a reload is needed first.
   */
  private async retryLater(definition: FunctionDefinition): Promise<boolean> {
    const retry = this.retry;
    const attempt = this.attempt + 1;
    const lastAttempt = retry !== undefined && attempt >= definition.maxAttempts;
    if (!(await this.quiesce({ flush: !lastAttempt }))) return this.lost;
    if (!retry) return false;
    if (lastAttempt) return this.finish(definition, "failed", retry.error);
    this.lettingGo = true;
    const stillHeld = await this.host.store.scheduleRetry(
      this.run.id,
      attempt,
      retry.delayMs,
      JSON.stringify({ ...retry.error, attempt: this.attempt }),
    );
    if (!stillHeld) {
      this.loseLease();
      return true;
    }
    this.host.count("retriesScheduled");
    this.host.logger.info("workflow step will be retried", {
      runId: this.run.id,
      functionId: this.run.functionId,
      attempt,
      delayMs: retry.delayMs,
      error: retry.error.message,
    });
    this.host.wake(retry.delayMs);
    return true;
  }

  private async park(): Promise<boolean> {
    if (!(await this.quiesce())) return this.lost;
    this.lettingGo = true;
    const parked = await this.host.store.park(this.run.id, this.attempt);
    if (!parked) {
      this.loseLease();
      return true;
    }
    if (parked.wakeInMs !== null) this.host.wake(Math.max(0, parked.wakeInMs));
    return true;
  }

  /**
   * Completes or fails the run, writing its pending steps in the same statement; callers have
   * quiesced without flushing. True when the driver is done with the run; false when a pending
   * step turned out to be stored already (the run was reloaded: replay).
   */
  private async finish(
    definition: FunctionDefinition | undefined,
    status: "completed" | "failed",
    error?: SerializedError,
    output?: unknown,
  ): Promise<boolean> {
    const spawn =
      status === "failed" && definition?.handlerKind === "main"
        ? this.host.runsForEvent({
            name: FAILED_EVENT,
            id: `${this.run.id}:failed`,
            ts: Date.now(),
            data: { function_id: this.run.functionId, run_id: this.run.id, error, event: JSON.parse(this.run.event) as unknown },
          })
        : [];
    this.lettingGo = true;
    const steps = this.takePending();
    const { finished, held, woken, adopted } = await this.host.store.finish(
      this.run.id,
      {
        status,
        output: status === "completed" ? toJson(output) : null,
        error: error ? JSON.stringify(error) : null,
        attempt: this.attempt,
      },
      spawn,
      steps,
    );
    if (!finished) {
      if (!held) {
        this.loseLease();
        return true;
      }
      this.lettingGo = false;
      this.stale = true;
      await this.quiesce(); // reloads
      return false;
    }
    this.host.count("stepsPersisted", steps.length);
    if (adopted.length > 0) this.host.adopt(adopted);
    if (status === "completed") {
      this.host.count("runsCompleted");
      this.host.logger.debug("workflow run completed", { runId: this.run.id, functionId: this.run.functionId });
    } else {
      this.host.count("runsFailed");
      this.host.logger.warn("workflow run failed", { runId: this.run.id, functionId: this.run.functionId, error: error?.message });
    }
    if (woken.length > 0) this.host.wake();
    return true;
  }

  /** The executor's lease renewal (issued once the run existed, see `renewable`) found the run no longer ours. */
  leaseNotRenewed() {
    if (!this.lettingGo) this.loseLease();
  }

  /** Another party owns the run now: drop whatever we were doing; nothing more is written. */
  loseLease() {
    if (this.lost) return;
    this.lost = true;
    this.host.count("leasesLost");
    this.host.logger.info("workflow run lease lost; leaving it to its new owner", { runId: this.run.id, functionId: this.run.functionId });
  }
}
