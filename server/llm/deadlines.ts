import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
} from "@ai-sdk/provider";
import { getEnv } from "@/server/env";
import { createAbortError } from "@/server/llm/abort";
import { ModelDeadlineExceeded, type ModelDeadline } from "@/server/llm/model-errors";

/**
 * Deadlines on every model call. Without them a provider that sends one chunk and then goes
 * quiet holds a step for Node's 300 s body timeout per attempt and fails with a confusing
 * "Failed to process successful response". Three limits, each cutting the call off by aborting
 * the provider's request (so its HTTP connection is closed and no more tokens are spent):
 * - connect: until the response starts (the provider's doStream/doGenerate resolved);
 * - stall: no stream part for that long, measured afresh after each one;
 * - overall: the whole call.
 * The failure is a ModelDeadlineExceeded, which model-errors.ts classifies as transient. The
 * caller's own abortSignal still ends the call as an AbortError: a cancel is never a timeout.
 *
 * A non-streamed call (doGenerate) has no output until it is done, so only the overall deadline
 * applies to it: a slow structured answer must not be mistaken for a stall.
 */
export interface CallLimits {
  connectTimeoutMs?: number;
  stallTimeoutMs?: number;
  overallTimeoutMs?: number;
}

const DEADLINES_APPLIED = Symbol("chorus.deadlines");

export function withDeadlines(model: LanguageModelV3, limits: CallLimits = {}): LanguageModelV3 {
  const resolved = () => {
    const env = getEnv();
    return {
      connect: limits.connectTimeoutMs ?? env.CHORUS_MODEL_CONNECT_TIMEOUT_MS,
      stall: limits.stallTimeoutMs ?? env.CHORUS_MODEL_STALL_TIMEOUT_MS,
      overall: limits.overallTimeoutMs ?? env.CHORUS_MODEL_TIMEOUT_MS,
    };
  };
  const wrapped: LanguageModelV3 & { [DEADLINES_APPLIED]: true } = {
    [DEADLINES_APPLIED]: true,
    specificationVersion: "v3",
    provider: model.provider,
    modelId: model.modelId,
    get supportedUrls() {
      return model.supportedUrls;
    },
    async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
      const call = new CallDeadlines(options.abortSignal);
      call.arm("overall", resolved().overall);
      try {
        return await call.race(model.doGenerate({ ...options, abortSignal: call.signal }));
      } finally {
        call.end();
      }
    },
    async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
      const limit = resolved();
      const call = new CallDeadlines(options.abortSignal);
      call.arm("overall", limit.overall);
      call.arm("connect", limit.connect);
      let result: LanguageModelV3StreamResult;
      try {
        result = await call.race(model.doStream({ ...options, abortSignal: call.signal }));
      } catch (error) {
        call.end();
        throw error;
      }
      call.disarm("connect");
      call.arm("stall", limit.stall);
      return { ...result, stream: guardStream(result.stream, call) };
    },
  };
  return wrapped;
}

/** Whether a model already carries withDeadlines (so a composer does not wrap it twice). */
export function hasDeadlines(model: LanguageModelV3): boolean {
  return (model as Partial<Record<typeof DEADLINES_APPLIED, true>>)[DEADLINES_APPLIED] === true;
}

/**
 * One call's timers and the abort they trigger. The provider sees `signal`, which fires on the
 * caller's abort (with the caller's reason) or on a deadline (with a ModelDeadlineExceeded).
 * The stall timer is not re-armed per chunk (a clearTimeout and setTimeout for every token): a
 * chunk only notes the time, and the timer, when it fires, sleeps again for what is left.
 */
class CallDeadlines {
  private readonly controller = new AbortController();
  private readonly timers = new Map<ModelDeadline, NodeJS.Timeout>();
  private readonly stopped: Array<(reason: Error) => void> = [];
  private lastOutputAt = 0;
  /** Why the call ended early: the deadline passed, or the caller's abort. */
  reason: Error | undefined;

  constructor(private readonly callerSignal: AbortSignal | undefined) {
    if (callerSignal?.aborted) this.stop(createAbortError(callerSignal));
    else callerSignal?.addEventListener("abort", this.onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  arm(deadline: ModelDeadline, ms: number) {
    this.disarm(deadline);
    if (this.reason) return;
    this.lastOutputAt = performance.now();
    this.schedule(deadline, ms, ms);
  }

  disarm(deadline: ModelDeadline) {
    clearTimeout(this.timers.get(deadline));
    this.timers.delete(deadline);
  }

  /** Output arrived: the stall deadline counts from now. */
  noteOutput() {
    this.lastOutputAt = performance.now();
  }

  /** Calls `listener` with the reason if the call is stopped (now, if it already was). */
  onStop(listener: (reason: Error) => void) {
    if (this.reason) listener(this.reason);
    else this.stopped.push(listener);
  }

  /** The provider's promise, unless a deadline or the caller's abort comes first (a provider that ignores its signal cannot hold the call). */
  race<T>(work: PromiseLike<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.onStop(reject);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the provider's own error, as it came, unless a deadline or cancel caused it
      Promise.resolve(work).then(resolve, (error: unknown) => reject(this.reason ?? error));
    });
  }

  end() {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.callerSignal?.removeEventListener("abort", this.onCallerAbort);
  }

  private schedule(deadline: ModelDeadline, limitMs: number, waitMs: number) {
    const timer = setTimeout(() => {
      const quietFor = performance.now() - this.lastOutputAt;
      if (deadline === "stall" && quietFor < limitMs) return this.schedule(deadline, limitMs, limitMs - quietFor);
      this.stop(new ModelDeadlineExceeded(deadline, limitMs));
    }, waitMs);
    timer.unref();
    this.timers.set(deadline, timer);
  }

  private readonly onCallerAbort = () => this.stop(createAbortError(this.callerSignal));

  private stop(reason: Error) {
    if (this.reason) return;
    this.reason = reason;
    this.end();
    this.controller.abort(reason);
    for (const listener of this.stopped.splice(0)) listener(reason);
  }
}

/** The provider's stream, noting the time of every part and failing with the deadline's error as soon as one passes. */
function guardStream(source: ReadableStream<LanguageModelV3StreamPart>, call: CallDeadlines) {
  const reader = source.getReader();
  let finished = false;
  return new ReadableStream<LanguageModelV3StreamPart>({
    start(controller) {
      // Fails the stream at once, even while a read is pending on a provider that ignores its signal.
      call.onStop((reason) => {
        if (finished) return;
        finished = true;
        controller.error(reason);
        reader.cancel(reason).catch(() => undefined);
      });
    },
    async pull(controller) {
      let next: ReadableStreamReadResult<LanguageModelV3StreamPart>;
      try {
        next = await reader.read();
      } catch (error) {
        if (finished) return;
        finished = true;
        call.end();
        controller.error(call.reason ?? error);
        return;
      }
      if (finished) return;
      if (next.done) {
        finished = true;
        call.end();
        controller.close();
        return;
      }
      call.noteOutput();
      controller.enqueue(next.value);
    },
    cancel(reason) {
      finished = true;
      call.end();
      return reader.cancel(reason);
    },
  });
}
