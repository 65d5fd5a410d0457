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
      return { ...result, stream: guardStream(result.stream, call, limit.stall) };
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
 */
class CallDeadlines {
  private readonly controller = new AbortController();
  private readonly timers = new Map<ModelDeadline, NodeJS.Timeout>();
  private failed: ((error: Error) => void) | undefined;
  readonly failure: Promise<never>;
  /** Why the call ended early: the deadline passed, or the caller's abort. */
  reason: Error | undefined;

  constructor(private readonly callerSignal: AbortSignal | undefined) {
    this.failure = new Promise<never>((_, reject) => (this.failed = reject));
    this.failure.catch(() => undefined);
    if (callerSignal?.aborted) this.stop(createAbortError(callerSignal));
    else callerSignal?.addEventListener("abort", this.onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  arm(deadline: ModelDeadline, ms: number) {
    this.disarm(deadline);
    if (this.reason) return;
    const timer = setTimeout(() => this.stop(new ModelDeadlineExceeded(deadline, ms)), ms);
    timer.unref();
    this.timers.set(deadline, timer);
  }

  disarm(deadline: ModelDeadline) {
    clearTimeout(this.timers.get(deadline));
    this.timers.delete(deadline);
  }

  /** The provider's promise, unless a deadline or the caller's abort comes first (a provider that ignores its signal cannot hold the call). */
  race<T>(work: PromiseLike<T>): Promise<T> {
    const settled = Promise.resolve(work).catch((error: unknown) => {
      throw this.reason ?? error;
    });
    return Promise.race([settled, this.failure]);
  }

  end() {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.callerSignal?.removeEventListener("abort", this.onCallerAbort);
  }

  private readonly onCallerAbort = () => this.stop(createAbortError(this.callerSignal));

  private stop(reason: Error) {
    if (this.reason) return;
    this.reason = reason;
    this.end();
    this.controller.abort(reason);
    this.failed?.(reason);
  }
}

/** The provider's stream, restarting the stall timer on every part and failing with the deadline's error when one passes. */
function guardStream(source: ReadableStream<LanguageModelV3StreamPart>, call: CallDeadlines, stallMs: number) {
  const reader = source.getReader();
  return new ReadableStream<LanguageModelV3StreamPart>({
    async pull(controller) {
      try {
        const next = await call.race(reader.read());
        if (next.done) {
          call.end();
          controller.close();
          return;
        }
        call.arm("stall", stallMs);
        controller.enqueue(next.value);
      } catch (error) {
        call.end();
        reader.cancel(error).catch(() => undefined);
        controller.error(call.reason ?? error);
      }
    },
    cancel(reason) {
      call.end();
      return reader.cancel(reason);
    },
  });
}
