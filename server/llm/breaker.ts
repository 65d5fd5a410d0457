import CircuitBreaker from "opossum";
import { readModelBreaker, writeModelBreaker, type SharedBreakerState } from "@/server/db/queries/model-breakers";
import { getEnv } from "@/server/env";
import { isAbortError } from "@/server/llm/abort";
import { logger } from "@/server/observability/logger";
import { setBreakerState } from "@/server/observability/metrics";

/**
 * A circuit breaker per model link (provider configuration + model), so a provider that keeps
 * failing is skipped for a while instead of costing every call its timeout. opossum keeps each
 * breaker's state and timers (open → half-open after the reset time → closed on one success, or
 * open again on a failure); what opens it is counted here: N consecutive failures, which opossum's
 * percentage-over-a-window rule cannot express.
 *
 * The state is shared by every server process through Postgres (server/db/queries/model-breakers.ts):
 * a process that opens or closes a breaker writes the row; the others read it, at most once per
 * `sharedReadCacheMs` per key, and open theirs too, so one bad provider is not rediscovered by
 * each process. Only transitions are written; the hot path is a cached read.
 *
 * A caller's cancel (an AbortError) is neither a failure nor a success.
 */
export interface BreakerSettings {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** How long it stays open before letting one trial call through (half-open). */
  resetMs: number;
  /** How long another process's state, once read, is trusted. */
  sharedReadCacheMs: number;
}

/** Where breakers share their state; Postgres by default. */
export interface BreakerStore {
  read(key: string): Promise<SharedBreakerState | undefined>;
  write(key: string, state: SharedBreakerState): Promise<void>;
}

const postgresStore: BreakerStore = { read: readModelBreaker, write: writeModelBreaker };

/** A call refused because its link's breaker is open. */
export class CircuitOpen extends Error {
  constructor(
    readonly key: string,
    readonly since: number,
  ) {
    super(`circuit open since ${new Date(since).toISOString()}`);
    this.name = "CircuitOpen";
  }
}

interface Entry {
  breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  failures: number;
  openedAt: number | undefined;
  /** Set while opening because another process did: that open is not written back. */
  openingFromShared: number | undefined;
  shared: SharedBreakerState | undefined;
  sharedReadAt: number;
  sharedRead: Promise<void> | undefined;
}

export class BreakerRegistry {
  private readonly entries = new Map<string, Entry>();
  readonly settings: BreakerSettings;

  constructor(
    settings: Partial<BreakerSettings> = {},
    private readonly store: BreakerStore = postgresStore,
  ) {
    this.settings = {
      failureThreshold: settings.failureThreshold ?? 5,
      resetMs: settings.resetMs ?? 60_000,
      sharedReadCacheMs: settings.sharedReadCacheMs ?? 1000,
    };
  }

  /** Whether calls to `key` are refused now (and since when), after taking in what other processes wrote. */
  async openSince(key: string): Promise<number | undefined> {
    const entry = this.entry(key);
    await this.takeInShared(key, entry);
    return entry.breaker.opened ? (entry.openedAt ?? Date.now()) : undefined;
  }

  /**
   * Runs one call through the key's breaker: its failure (any error but a cancel) counts, its
   * success closes a half-open breaker. Rejects with CircuitOpen when the breaker refuses it
   * (open, or half-open with its one trial call already under way).
   */
  async run<T>(key: string, call: () => Promise<T>): Promise<T> {
    const entry = this.entry(key);
    try {
      return (await entry.breaker.fire(call)) as T;
    } catch (error) {
      if ((error as { code?: unknown }).code === "EOPENBREAKER") throw new CircuitOpen(key, entry.openedAt ?? Date.now());
      throw error;
    }
  }

  /** What this process knows of a key: for tests, logs and the route. */
  state(key: string): { state: "open" | "half-open" | "closed"; consecutiveFailures: number; openedAt?: number } {
    const entry = this.entries.get(key);
    if (!entry) return { state: "closed", consecutiveFailures: 0 };
    const state = entry.breaker.opened ? "open" : entry.breaker.halfOpen ? "half-open" : "closed";
    return { state, consecutiveFailures: entry.failures, ...(entry.openedAt !== undefined ? { openedAt: entry.openedAt } : {}) };
  }

  /** Stops every breaker's timers (a registry thrown away, as in tests). */
  shutdown() {
    for (const entry of this.entries.values()) entry.breaker.shutdown();
    this.entries.clear();
  }

  private entry(key: string): Entry {
    const existing = this.entries.get(key);
    if (existing) return existing;
    const breaker = new CircuitBreaker<[() => Promise<unknown>], unknown>((call) => call(), {
      timeout: false, // withDeadlines owns the call's time limits
      resetTimeout: this.settings.resetMs,
      // Never opened by opossum's percentage rule (an error rate cannot exceed 100%): opened
      // below on consecutive failures, and by opossum itself only when a half-open trial fails.
      errorThresholdPercentage: 100,
      volumeThreshold: 0,
      errorFilter: (error: unknown) => isAbortError(error),
      enableSnapshots: false,
    });
    const entry: Entry = {
      breaker,
      failures: 0,
      openedAt: undefined,
      openingFromShared: undefined,
      shared: undefined,
      sharedReadAt: Number.NEGATIVE_INFINITY,
      sharedRead: undefined,
    };
    breaker.on("failure", () => {
      entry.failures += 1;
      if (breaker.closed && entry.failures >= this.settings.failureThreshold) breaker.open();
    });
    breaker.on("success", (result: unknown) => {
      if (!(result instanceof Error)) entry.failures = 0;
    });
    // The gauge follows every transition, including those taken in from other processes.
    breaker.on("open", () => setBreakerState(key, "open"));
    breaker.on("halfOpen", () => setBreakerState(key, "half-open"));
    breaker.on("close", () => setBreakerState(key, "closed"));
    breaker.on("open", () => {
      const fromShared = entry.openingFromShared;
      entry.openedAt = fromShared ?? Date.now();
      if (fromShared !== undefined) return;
      logger.warn("a model's circuit breaker opened", { key, consecutiveFailures: entry.failures, resetMs: this.settings.resetMs });
      this.share(key, entry, { state: "open", consecutiveFailures: entry.failures, openedAt: entry.openedAt });
    });
    breaker.on("close", () => {
      const wasOpen = entry.openedAt !== undefined;
      entry.failures = 0;
      entry.openedAt = undefined;
      if (!wasOpen) return;
      logger.info("a model's circuit breaker closed", { key });
      this.share(key, entry, { state: "closed", consecutiveFailures: 0, openedAt: null });
    });
    this.entries.set(key, entry);
    return entry;
  }

  private share(key: string, entry: Entry, state: SharedBreakerState) {
    entry.shared = state;
    entry.sharedReadAt = Date.now();
    this.store.write(key, state).catch((error: unknown) => logger.warn("could not share a model breaker's state", { key, error }));
  }

  /** Reads the shared row when the cached copy is older than sharedReadCacheMs, and opens this process's breaker if another opened it. */
  private async takeInShared(key: string, entry: Entry) {
    if (Date.now() - entry.sharedReadAt >= this.settings.sharedReadCacheMs) {
      entry.sharedRead ??= this.store
        .read(key)
        .then((shared) => {
          entry.shared = shared;
          entry.sharedReadAt = Date.now();
        })
        .catch((error: unknown) => {
          // The breaker works on this process's own state while the database is unreachable.
          entry.sharedReadAt = Date.now();
          logger.debug("could not read a model breaker's shared state", { key, error });
        })
        .finally(() => (entry.sharedRead = undefined));
      await entry.sharedRead;
    }
    const shared = entry.shared;
    if (shared?.state !== "open" || shared.openedAt === null || !entry.breaker.closed) return;
    if (shared.openedAt + this.settings.resetMs <= Date.now()) return; // due to half-open: let this process try
    entry.openingFromShared = shared.openedAt;
    entry.failures = shared.consecutiveFailures;
    try {
      entry.breaker.open();
    } finally {
      entry.openingFromShared = undefined;
    }
  }
}

let processBreakers: BreakerRegistry | undefined;

/** The process's breakers, set up from CHORUS_BREAKER_FAILURES and CHORUS_BREAKER_RESET_MS. */
export function processBreakerRegistry(): BreakerRegistry {
  if (!processBreakers) {
    const env = getEnv();
    processBreakers = new BreakerRegistry({ failureThreshold: env.CHORUS_BREAKER_FAILURES, resetMs: env.CHORUS_BREAKER_RESET_MS });
  }
  return processBreakers;
}
