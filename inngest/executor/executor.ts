/**
 * The embedded executor: ingests events, and runs a pool of RunDrivers over runs it claims
 * from Postgres under a lease. New work starts at once through an in-process wake-up; a poll
 * picks up timers and work that other processes created.
 */
import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { Inngest, InngestFunction } from "inngest";
import { type EventSink, type SendableEvent, registerEventSink, unregisterEventSink } from "./event-api";
import { compileExpression } from "./expression";
import { eventIdFromSeed } from "./identity";
import { consoleWarningsAndErrors, type ExecutorLogger, loopFailureReporter } from "./logging";
import { PresenceLock, deadLocalWorkers, defaultWorkerId, here, workersInThisProcess } from "./liveness";
import { cancellableFunctions, type IngestedEvent, resolveWaitsWith, runsForEvent, runsToCancel } from "./routing";
import { type DriverHost, type ExecutorCounters, type ExecutorStats, RunDriver } from "./run-driver";
import { describeFunctions, type FunctionDefinition } from "./sdk";
import { type ClaimedRun, type NewRun, RunStore } from "./store";

export interface EmbeddedExecutorOptions {
  /** The app's pool; every executor statement runs on it. */
  pool: pg.Pool;
  /** The client the functions were created with (its id prefixes function ids, as `serve()` does). */
  client: Inngest.Any;
  functions: InngestFunction.Any[];
  /**
   * Names this worker in lease columns and logs. Default: `<hostname>:<pid>:<random>`, which
   * also lets a restarted process on this machine take over its runs at once (liveness.ts).
   */
  workerId?: string;
  /** Runs driven at once by this executor (not Inngest's per-function `concurrency`). Default 32. */
  concurrency?: number;
  /** How long a claim lasts without renewal; a dead worker's runs are taken over after it. Default 15 s. */
  leaseMs?: number;
  /** How often to look for due timers, work from other processes, freed slots and dead local workers. Default 1 s. */
  pollIntervalMs?: number;
  /** First retry delay; doubles per attempt, with jitter, up to 15 min. Default 1 s. */
  retryBaseDelayMs?: number;
  /** Where the engine reports start, stop, retries and failures. Default: warnings and errors on the console. */
  logger?: ExecutorLogger;
  /**
   * Whether an error means the database is unavailable (restarting, refusing or losing
   * connections) rather than a bug: the loop's failures from it are logged as warnings, since
   * leases and the poll ride them out. Default: no error is.
   */
  isDatabaseUnavailable?: (error: unknown) => boolean;
}

export interface EmbeddedExecutor {
  /** Starts claiming and running work, and routes this process's `embeddedEventFetch` here. */
  start(): void;
  /**
   * Stops claiming, lets runs in progress reach a durable point (bounded by `timeoutMs`,
   * default 10 s), then releases every lease still held so another worker continues at once.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /** Ingests events: starts triggered runs, resolves matching waits, applies `cancelOn`. */
  send(events: SendableEvent | SendableEvent[]): Promise<{ ids: string[] }>;
  /** Cancels runs (and the runs they invoked). Returns the ids actually cancelled. */
  cancelRuns(runIds: string[]): Promise<string[]>;
  /**
   * Resolves once no run is runnable, in progress or backing off before a retry; runs that only
   * sleep or wait for an event or a child don't count. For tests and graceful hand-offs.
   */
  idle(): Promise<void>;
  /** Counters since start-up (runs, steps, retries, leases lost), e.g. for /api/metrics. */
  stats(): Readonly<ExecutorStats>;
}

const DEFAULTS = { concurrency: 32, leaseMs: 15_000, pollIntervalMs: 1_000, retryBaseDelayMs: 1_000 };

class Executor implements EmbeddedExecutor, EventSink, DriverHost {
  readonly client: Inngest.Any;
  readonly store: RunStore;
  readonly retryBaseDelayMs: number;
  readonly logger: ExecutorLogger;
  private readonly logLoopFailure: ReturnType<typeof loopFailureReporter>;
  private readonly workerId: string;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly definitions: FunctionDefinition[];
  private readonly definitionsById: Map<string, FunctionDefinition>;
  /** Some function has concurrency limits: claims must go through the slot accounting. */
  private readonly anyLimits: boolean;
  private readonly presence: PresenceLock;
  /** The presence lock and a first look for dead local workers, before the first claim. */
  private ready: Promise<void> = Promise.resolve();
  private polling = false;
  private readonly drivers = new Map<string, { driver: RunDriver; done: Promise<void>; since: number }>();
  private readonly wakeTimers = new Set<NodeJS.Timeout>();
  private readonly counters: ExecutorCounters = {
    runsClaimed: 0,
    runsCompleted: 0,
    runsFailed: 0,
    stepsPersisted: 0,
    persistMs: 0,
    retriesScheduled: 0,
    leasesLost: 0,
  };
  private started = false;
  private stopping = false;
  private claiming: Promise<void> | undefined;
  private claimAgain = false;
  /**
   * There may be runnable runs this executor had no room for: claim again when a driver
   * finishes. Cleared by a claim that found less than it had room for.
   */
  private backlog = true;
  private pollTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(options: EmbeddedExecutorOptions) {
    this.client = options.client;
    this.workerId = options.workerId ?? defaultWorkerId();
    this.concurrency = options.concurrency ?? DEFAULTS.concurrency;
    this.leaseMs = options.leaseMs ?? DEFAULTS.leaseMs;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULTS.pollIntervalMs;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? DEFAULTS.retryBaseDelayMs;
    this.logger = options.logger ?? consoleWarningsAndErrors;
    this.logLoopFailure = loopFailureReporter(this.logger, options.isDatabaseUnavailable ?? (() => false));
    this.store = new RunStore(options.pool, this.workerId, this.leaseMs);
    this.store.roomForAdoption = () => this.room();
    this.definitions = describeFunctions(options.client, options.functions);
    this.definitionsById = new Map(this.definitions.map((definition) => [definition.id, definition]));
    this.anyLimits = this.definitions.some((definition) => definition.concurrency.length > 0);
    this.presence = new PresenceLock(options.pool, this.workerId, this.logger);
    this.checkDefinitions();
  }

  /** Fails fast on what the engine would otherwise trip over later, per event. */
  private checkDefinitions() {
    for (const definition of this.definitions) {
      for (const trigger of definition.triggers) {
        if (trigger.expression) compileExpression(trigger.expression);
        if (trigger.cron) {
          this.logger.warn("cron triggers are not supported by the embedded executor; the trigger is ignored", {
            functionId: definition.id,
            cron: trigger.cron,
          });
        }
      }
      for (const rule of definition.cancelOn) if (rule.if) compileExpression(rule.if);
      if (definition.handlerKind !== "main") continue;
      const { throttle, rateLimit, debounce, batchEvents, idempotency, singleton, priority, timeouts } = definition.fn.opts;
      const ignored = Object.entries({ throttle, rateLimit, debounce, batchEvents, idempotency, singleton, priority, timeouts })
        .filter(([, value]) => value !== undefined)
        .map(([key]) => key);
      if (ignored.length > 0) {
        this.logger.warn("function options the embedded executor does not enforce yet", { functionId: definition.id, ignored });
      }
    }
  }

  // ── lifecycle ────────────────────────────────────────────────────────────────────────

  start() {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    registerEventSink(this);
    workersInThisProcess.add(this.workerId);
    this.ready = this.presence.ensure().then(() => this.takeOverDeadLocalWorkers());
    this.pollTimer = setInterval(() => void this.poll(), this.pollIntervalMs);
    this.pollTimer.unref();
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.renewTimer.unref();
    this.logger.info("embedded executor started", {
      workerId: this.workerId,
      functions: this.definitions.map((definition) => definition.id),
      concurrency: this.concurrency,
    });
    this.wake();
  }

  async stop({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}) {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    unregisterEventSink(this);
    clearInterval(this.pollTimer);
    for (const timer of this.wakeTimers) clearTimeout(timer);
    this.wakeTimers.clear();
    await this.claiming;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.drivers.values()].map((entry) => entry.done)),
      new Promise((resolve) => (timeout = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timeout);
    clearInterval(this.renewTimer);
    const stragglers = [...this.drivers.values()].map((entry) => entry.driver);
    if (stragglers.length > 0) {
      for (const driver of stragglers) driver.loseLease();
      await this.store.release(stragglers.map((driver) => driver.runId));
      this.logger.warn("executor stopped with steps still running; their runs were released", {
        runIds: stragglers.map((driver) => driver.runId),
      });
    }
    await this.presence.release(); // only now: our leases are gone
    workersInThisProcess.delete(this.workerId);
    this.started = false;
    this.stopping = false;
    this.logger.info("embedded executor stopped", { workerId: this.workerId });
  }

  async idle() {
    for (;;) {
      if (!this.started || this.stopping) throw new Error("idle() needs a started executor");
      if (this.drivers.size === 0 && !this.claiming) {
        if (!(await this.store.hasPendingWork()) && this.drivers.size === 0 && !this.claiming) return;
        this.wake();
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  stats(): Readonly<ExecutorStats> {
    let oldest = Number.POSITIVE_INFINITY;
    for (const entry of this.drivers.values()) oldest = Math.min(oldest, entry.since);
    const oldestLeaseHeldMs = this.drivers.size > 0 ? Math.max(0, performance.now() - oldest) : 0;
    return { ...this.counters, runsInProgress: this.drivers.size, oldestLeaseHeldMs };
  }

  // ── ingest ───────────────────────────────────────────────────────────────────────────

  async send(input: SendableEvent | SendableEvent[], options: { idSeed?: string } = {}) {
    const events: IngestedEvent[] = (Array.isArray(input) ? input : [input]).map((event, index) => {
      if (typeof event?.name !== "string" || event.name === "") throw new Error("Every event needs a non-empty `name`");
      return {
        ...event,
        name: event.name,
        data: event.data ?? {},
        id: event.id ?? (options.idSeed ? eventIdFromSeed(options.idSeed, index) : randomUUID()),
        ts: event.ts ?? Date.now(),
      };
    });
    if (events.length === 0) return { ids: [] };

    // Cancel first: an event must not cancel the run it starts, nor resolve a wait of a run it cancels.
    const candidates = await this.store.runningRuns(cancellableFunctions(this.definitions, events));
    const { woken: orphaned } = await this.store.cancel(runsToCancel(this.definitions, events, candidates));
    // New runs of unlimited functions are created already leased to this executor while it has
    // room, and start at once: no claim, nothing to load.
    let room = this.room();
    const runs = events
      .flatMap((event) => runsForEvent(this.definitions, event))
      .map((run) => ({ ...run, claim: !run.concurrency && room-- > 0 }));
    const ingesting = this.store.ingest(runs, [...new Set(events.map((event) => event.name))]);
    // Their drivers start now: the SDK sets the execution up while the statement that creates
    // the runs commits, and nothing runs or is written before it has (see RunDriver).
    const ours = ingesting.then(
      ({ created }) => new Set(created.filter((run) => run.claimed).map((run) => run.id)),
      () => new Set<string>(),
    );
    for (const run of runs)
      if (run.claim)
        this.startFresh(
          run,
          ours.then((ids) => ids.has(run.id)),
        );
    const { created, waits } = await ingesting;
    const resumed = await this.store.resolveWaits(resolveWaitsWith(events, waits));
    const unclaimed = orphaned.length + resumed.length + created.filter((run) => !run.claimed).length;
    if (unclaimed > 0) this.wake();
    return { ids: events.map((event) => event.id) };
  }

  adopt(runs: ClaimedRun[]) {
    this.count("runsClaimed", runs.length);
    for (const run of runs) this.startDriver(new RunDriver(this, run));
  }

  /** Drives a run this executor creates already leased, once `created` says the statement that creates it did. */
  private startFresh(run: NewRun, created: Promise<boolean>) {
    this.count("runsClaimed");
    this.startDriver(
      new RunDriver(this, {
        id: run.id,
        functionId: run.functionId,
        event: JSON.stringify(run.event),
        attempt: 0,
        parentRunId: null,
        previousOwner: null,
        limited: false,
        fresh: true,
        created,
      }),
    );
  }

  async cancelRuns(runIds: string[]) {
    const { cancelled, woken } = await this.store.cancel(runIds);
    if (woken.length > 0) this.wake();
    return cancelled;
  }

  /** How many more runs this executor may take on now (none unless it runs). */
  private room() {
    return this.started && !this.stopping ? this.concurrency - this.drivers.size : 0;
  }

  // ── DriverHost ───────────────────────────────────────────────────────────────────────

  isStopping() {
    return this.stopping;
  }

  definition(functionId: string) {
    return this.definitionsById.get(functionId);
  }

  runsForEvent(event: Record<string, unknown>): NewRun[] {
    return runsForEvent(this.definitions, event as IngestedEvent);
  }

  count(stat: keyof ExecutorCounters, amount = 1) {
    this.counters[stat] += amount;
  }

  /** Claims work now, or in `delayMs` (a timer or retry due then). */
  wake(delayMs = 0) {
    if (!this.started || this.stopping) return;
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        this.wakeTimers.delete(timer);
        this.wake();
      }, delayMs + 5);
      timer.unref();
      this.wakeTimers.add(timer);
      return;
    }
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.fill().finally(() => {
      this.claiming = undefined;
      if (this.claimAgain) {
        this.claimAgain = false;
        this.wake();
      }
    });
  }

  // ── the loop ─────────────────────────────────────────────────────────────────────────

  private async fill() {
    try {
      await this.ready;
      while (this.started && !this.stopping) {
        const capacity = this.room();
        if (capacity <= 0) {
          this.backlog = true;
          return;
        }
        this.claimAgain = false;
        const { runs: claimed, deferred } = this.anyLimits
          ? await this.store.claimWithinLimits(capacity)
          : { runs: await this.store.claim(capacity), deferred: 0 };
        for (const run of claimed) {
          if (run.previousOwner && run.previousOwner !== this.workerId) {
            this.logger.info("taking over a run whose worker's lease expired", { runId: run.id, previousOwner: run.previousOwner });
          }
          this.startDriver(new RunDriver(this, run));
        }
        this.count("runsClaimed", claimed.length);
        // Runs this batch left out because it filled their group: the next claim skips that
        // group at once and may find runs of other groups.
        if (claimed.length < capacity && deferred === 0 && !this.claimAgain) {
          this.backlog = false;
          return;
        }
      }
    } catch (error) {
      this.logLoopFailure("executor could not claim work; retrying at the next poll", { error });
    }
  }

  private startDriver(driver: RunDriver) {
    const done = driver
      .drive()
      .catch((error: unknown) => {
        // Only infrastructure errors land here (the database went away); user errors are results.
        // The lease runs out and the run is picked up again.
        this.logLoopFailure("workflow run driver failed; the run resumes when its lease expires", { runId: driver.runId, error });
        driver.loseLease();
      })
      .finally(() => {
        // A run handed back can be driven again at once (claimed, adopted) by a new driver.
        if (this.drivers.get(driver.runId)?.driver === driver) this.drivers.delete(driver.runId);
        // A limited run's slot is free now: runs queued behind it in the database can go.
        if (this.backlog || driver.limited) this.wake();
      });
    this.drivers.set(driver.runId, { driver, done, since: performance.now() });
  }

  /** The poll: keep the presence lock, end dead local workers' leases, then claim. */
  private async poll() {
    if (this.polling || !this.started || this.stopping) return;
    this.polling = true;
    try {
      await this.presence.ensure();
      await this.takeOverDeadLocalWorkers();
    } finally {
      this.polling = false;
    }
    this.wake();
  }

  /** Ends at once the leases of workers that died on this machine (see liveness.ts). */
  private async takeOverDeadLocalWorkers() {
    try {
      const where = here();
      const dead = deadLocalWorkers(await this.store.leaseOwnersStartingWith(`${where.hostname}:`), where);
      const freed = await this.store.expireLeasesOf(dead);
      if (freed > 0) this.logger.info("ended the leases of a dead worker on this machine", { workers: dead, runs: freed });
    } catch (error) {
      this.logLoopFailure("executor could not check for dead local workers", { error });
    }
  }

  private async renewLeases() {
    // The drivers as of now (a run handed back may get a new driver meanwhile), leaving out fresh
    // runs whose creating statement has not committed yet: the renewal could not see them.
    const drivers = [...this.drivers.values()].map((entry) => entry.driver).filter((driver) => driver.renewable);
    if (drivers.length === 0) return;
    try {
      const held = await this.store.renewLeases(drivers.map((driver) => driver.runId));
      for (const driver of drivers) {
        if (!held.has(driver.runId)) driver.leaseNotRenewed();
      }
    } catch (error) {
      this.logLoopFailure("executor could not renew its leases", { error });
    }
  }
}

export function createEmbeddedExecutor(options: EmbeddedExecutorOptions): EmbeddedExecutor {
  return new Executor(options);
}
