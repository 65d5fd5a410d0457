import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
} from "@ai-sdk/provider";
import { DelegatingLanguageModel } from "@/server/llm/delegating-model";
import { insertModelCall, type ModelCallRecord } from "@/server/db/queries/model-calls";
import { isAbortError } from "@/server/llm/abort";
import { isRefusedByBudget } from "@/server/llm/budget-exceeded";
import { costOfCall } from "@/server/llm/pricing";
import { estimateTokens, promptCharacters } from "@/server/llm/usage";
import { isCachedResponse } from "@/server/llm/response-cache";
import { logger } from "@/server/observability/logger";
import { countModelCall } from "@/server/observability/metrics";
import { endModelCallSpan, startModelCallSpan } from "@/server/observability/tracing";
import type { Span } from "@opentelemetry/api";
import { settlePendingWrites, trackPendingWrite } from "@/server/llm/pending-writes";

/**
 * Usage and cost per model call (#20 §7): every call through a wrapped model becomes one
 * ModelCall row — who asked (team, task, execution, role, agent kind, member), the model that
 * answered, input / output / cached-input / reasoning tokens, the cost from the price table
 * (null and flagged when the price is unknown), whether the response cache answered it, and how
 * it ended. A call that fails or is aborted mid-stream still records what it spent: the usage the
 * provider reported, else an estimate from the prompt and the streamed text (flagged `estimated`),
 * since the provider bills those tokens either way. That is what lets a cancelled task report
 * everything it spent. The row is written after the call ends, off the stream's path.
 */

export interface UsageContext {
  teamId: string;
  taskId?: string;
  executionId?: string;
  role: "planner" | "agent" | "aggregator";
  agentKind?: string;
  userId?: string;
  /** Hears each call's outcome as it ends, and whether the response cache answered it (an execution is marked cached when all its calls were). */
  onCall?: (call: { outcome: Outcome; cached: boolean }) => void;
}

export function withUsageRecording(model: LanguageModelV3, context: UsageContext): LanguageModelV3 {
  return new RecordedLanguageModel(model, context);
}

/**
 * Waits for what calls that have ended still write — their usage rows and budget settlements
 * (pending-writes.ts) — before a task's totals are read (steps, tests, a graceful shutdown).
 */
export async function settleUsageRecords(): Promise<void> {
  await settlePendingWrites();
}

type Outcome = ModelCallRecord["outcome"];

interface Observed {
  modelId?: string;
  usage?: LanguageModelV3Usage;
  cached: boolean;
  /** Characters of output streamed: the estimate when no usage came. */
  outputCharacters: number;
}

class RecordedLanguageModel extends DelegatingLanguageModel {
  constructor(
    inner: LanguageModelV3,
    private readonly context: UsageContext,
  ) {
    super(inner);
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const startedAt = new Date();
    const span = startModelCallSpan(this.inner.provider, this.inner.modelId);
    let result: LanguageModelV3GenerateResult;
    try {
      result = await this.inner.doGenerate(options);
    } catch (error) {
      // Refused by the task's budget before it reached any provider: nothing was spent.
      if (isRefusedByBudget(error)) {
        span?.end();
        throw error;
      }
      this.record(startedAt, outcomeOf(error, options), { cached: false, outputCharacters: 0 }, options.prompt, span);
      throw error;
    }
    this.record(
      startedAt,
      "completed",
      {
        modelId: result.response?.modelId,
        usage: result.usage,
        cached: isCachedResponse(result.providerMetadata),
        outputCharacters: 0,
      },
      options.prompt,
      span,
    );
    return result;
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const startedAt = new Date();
    const span = startModelCallSpan(this.inner.provider, this.inner.modelId);
    let result: LanguageModelV3StreamResult;
    try {
      result = await this.inner.doStream(options);
    } catch (error) {
      if (isRefusedByBudget(error)) {
        span?.end();
        throw error;
      }
      this.record(startedAt, outcomeOf(error, options), { cached: false, outputCharacters: 0 }, options.prompt, span);
      throw error;
    }
    const observed: Observed = { cached: false, outputCharacters: 0 };
    let failed = false;
    let ended = false;
    const signal = options.abortSignal;
    const onAbort = () => end("cancelled");
    const end = (outcome: Outcome) => {
      if (ended) return;
      ended = true;
      signal?.removeEventListener("abort", onAbort);
      // What was seen up to the end: a finish part the provider still sends after an error must not change it.
      this.record(startedAt, outcome, { ...observed }, options.prompt, span);
    };
    // A consumer that stops reading on an abort or an error part (as streamText's callers do)
    // never pulls the stream's end: the abort, and the error part itself, end the record.
    signal?.addEventListener("abort", onAbort, { once: true });
    const reader = result.stream.getReader();
    // Passes each part on as the consumer pulls, noting what the usage row needs on the way.
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      async pull(controller) {
        let next: ReadableStreamReadResult<LanguageModelV3StreamPart>;
        try {
          next = await reader.read();
        } catch (error) {
          end(outcomeOf(error, options));
          controller.error(error);
          return;
        }
        if (next.done) {
          end(failed ? "failed" : options.abortSignal?.aborted ? "cancelled" : "completed");
          controller.close();
          return;
        }
        const part = next.value;
        switch (part.type) {
          case "text-delta":
          case "reasoning-delta":
          case "tool-input-delta":
            observed.outputCharacters += part.delta.length;
            break;
          case "response-metadata":
            if (part.modelId) observed.modelId = part.modelId;
            break;
          case "finish":
            observed.usage = part.usage;
            observed.cached = isCachedResponse(part.providerMetadata);
            break;
          case "error":
            failed = true;
            end("failed");
            break;
        }
        controller.enqueue(part);
      },
      cancel(reason) {
        end("cancelled");
        return reader.cancel(reason);
      },
    });
    return { ...result, stream };
  }

  private record(startedAt: Date, outcome: Outcome, observed: Observed, prompt: LanguageModelV3Prompt, span?: Span) {
    const durationMs = Date.now() - startedAt.getTime();
    const endedAt = new Date();
    this.context.onCall?.({ outcome, cached: observed.cached });
    // After the current turn: the stream's end reaches its consumer before the row is built and sent.
    const insert = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => {
        const row = buildRecord(
          this.context,
          { provider: this.inner.provider, modelId: this.inner.modelId },
          startedAt,
          outcome,
          observed,
          prompt,
        );
        countModelCall(row);
        endModelCallSpan(span, row, endedAt);
        return insertModelCall({ ...row, durationMs });
      })
      .catch((error: unknown) =>
        logger.warn("a model call's usage could not be recorded", { teamId: this.context.teamId, taskId: this.context.taskId, error }),
      );
    trackPendingWrite(insert);
  }
}

function outcomeOf(error: unknown, options: LanguageModelV3CallOptions): Outcome {
  return options.abortSignal?.aborted || isAbortError(error) ? "cancelled" : "failed";
}

/** The row for one call: reported usage when there is some, else an estimate; priced unless the cache answered. */
export function buildRecord(
  context: UsageContext,
  asked: { provider: string; modelId: string },
  startedAt: Date,
  outcome: Outcome,
  observed: Observed,
  prompt: LanguageModelV3Prompt,
): ModelCallRecord {
  const modelId = observed.modelId || asked.modelId;
  const reported = observed.usage;
  const estimated = reported === undefined && !observed.cached;
  const inputTokens = reported?.inputTokens.total ?? (estimated ? estimateTokens(promptCharacters(prompt)) : 0);
  const outputTokens = reported?.outputTokens.total ?? (estimated ? estimateTokens(observed.outputCharacters) : 0);
  const cachedInputTokens = reported?.inputTokens.cacheRead ?? 0;
  const reasoningTokens = reported?.outputTokens.reasoning ?? 0;
  const price = observed.cached ? { costUsd: 0, priceKnown: true } : costOfCall(modelId, { inputTokens, outputTokens, cachedInputTokens });
  return {
    ...context,
    provider: asked.provider,
    modelId,
    inputTokens,
    outputTokens,
    cachedInputTokens,
    reasoningTokens,
    costUsd: price.costUsd,
    priceKnown: price.priceKnown,
    cached: observed.cached,
    estimated,
    outcome,
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
  };
}
