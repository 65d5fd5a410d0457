import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
} from "@ai-sdk/provider";
import { isAbortError } from "@/server/llm/abort";
import { BreakerRegistry, CircuitOpen, processBreakerRegistry } from "@/server/llm/breaker";
import { hasDeadlines, withDeadlines } from "@/server/llm/deadlines";
import { classifyModelError, describeModelError, ModelCallFailed } from "@/server/llm/model-errors";
import type { ModelLink } from "@/server/llm/model-link";
import { withStreamIntegrity } from "@/server/llm/stream-integrity";

/**
 * A team's ordered model list as one model: each call goes to the first link whose breaker is
 * closed; a link that fails before any output streamed (an error, a refusal, a deadline) counts
 * a failure on its breaker and the call moves on to the next. Once output has streamed the call
 * cannot switch (the caller has shown it), so a later failure propagates. When every link fails
 * the last error propagates, classified as before; when every breaker is open the call fails at
 * once as transient, retried by the step after its backoff.
 *
 * Each link runs under its own deadlines (withDeadlines with the link's limits), so a stalled
 * provider is a failure of that link, not of the whole call. The answer's model id stays the one
 * that answered: its response metadata, which the AI SDK reports.
 */
export interface ModelRoute {
  /** The key of the link that answered. */
  answeredBy: string;
  /** The links passed over before it, and why (safe to store and show: no provider text). */
  skipped: Array<{ key: string; reason: string }>;
}

export interface FallbackOptions {
  onRoute?: (route: ModelRoute) => void;
  /** The breakers to use; the process's own (shared through Postgres) by default. */
  breakers?: BreakerRegistry;
}

export function withFallback(links: ModelLink[], options: FallbackOptions = {}): LanguageModelV3 {
  const first = links[0];
  if (!first) throw new Error("withFallback needs at least one model link");
  // Each link's stream is checked for malformed events (stream-integrity.ts) inside the breaker, so they count against it.
  const guarded = links.map((link) => ({
    ...link,
    model: withStreamIntegrity(hasDeadlines(link.model) ? link.model : withDeadlines(link.model, link.limits)),
  }));
  const breakers = () => options.breakers ?? processBreakerRegistry();

  /** Tries each link in turn with `attempt`, which resolves once the link has committed to answering. */
  async function route<T>(attempt: (link: ModelLink, registry: BreakerRegistry) => Promise<T>, signal: AbortSignal | undefined) {
    const registry = breakers();
    const skipped: ModelRoute["skipped"] = [];
    let lastError: unknown;
    let firstReopening = Number.POSITIVE_INFINITY;
    for (const link of guarded) {
      const openSince = await registry.openSince(link.key);
      if (openSince !== undefined) {
        firstReopening = Math.min(firstReopening, openSince + registry.settings.resetMs);
        skipped.push({ key: link.key, reason: new CircuitOpen(link.key, openSince).message });
        continue;
      }
      try {
        const answer = await attempt(link, registry);
        options.onRoute?.({ answeredBy: link.key, skipped });
        return answer;
      } catch (error) {
        if (signal?.aborted || isAbortError(error)) throw error;
        if (error instanceof CircuitOpen) {
          skipped.push({ key: link.key, reason: error.message });
          continue;
        }
        lastError = error;
        skipped.push({ key: link.key, reason: reasonFor(error) });
      }
    }
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the last link's own error, as it came, so it is classified as before
    if (lastError !== undefined) throw lastError;
    // Every breaker open: the step retries once the first of them lets a trial call through.
    const retryAfterMs = Number.isFinite(firstReopening) ? Math.max(0, Math.ceil(firstReopening - Date.now())) : undefined;
    throw new ModelCallFailed(
      `No model is available: ${skipped.map((skip) => `${skip.key} (${skip.reason})`).join(", ")}; retried`,
      retryAfterMs === undefined ? { retriable: true } : { retriable: true, retryAfterMs },
    );
  }

  return {
    specificationVersion: "v3",
    provider: first.model.provider,
    modelId: first.model.modelId,
    get supportedUrls() {
      return first.model.supportedUrls;
    },
    doGenerate(callOptions: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
      return route(async (link, registry) => {
        const result = await registry.run(link.key, async () => link.model.doGenerate(callOptions));
        return { ...result, response: { ...result.response, modelId: result.response?.modelId ?? link.model.modelId } };
      }, callOptions.abortSignal);
    },
    doStream(callOptions: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
      return route((link, registry) => streamThroughBreaker(link, registry, callOptions), callOptions.abortSignal);
    },
  };
}

/** Why a link was passed over, in words members may see (describeModelError never quotes the provider). */
function reasonFor(error: unknown): string {
  const failure = classifyModelError(error);
  if (!failure) return `failed (${error instanceof Error ? error.name : "error"})`;
  const described = describeModelError(error).replace(/; (not )?retried$/, "");
  return failure.retriable ? `failed: ${described}` : `refused, not worth retrying there: ${described}`;
}

/**
 * One link's streamed call under its breaker. The breaker's run lasts the whole stream (so a
 * failure after the first output still counts against the link), while the call commits (and
 * this resolves) at the first output part: until then a failure rejects, and the caller may
 * move on to the next link.
 */
function streamThroughBreaker(link: ModelLink, registry: BreakerRegistry, callOptions: LanguageModelV3CallOptions) {
  return new Promise<LanguageModelV3StreamResult>((commit, failBeforeOutput) => {
    registry
      .run(link.key, () => openLinkStream(link, callOptions, commit))
      // After the commit this is a no-op: the error reached the caller through the stream.
      .catch(failBeforeOutput);
  });
}

/** Parts that come before any output: a stall or error among them still allows a switch. */
const PREAMBLE = new Set<LanguageModelV3StreamPart["type"]>(["stream-start", "response-metadata", "text-start", "reasoning-start", "raw"]);

async function openLinkStream(
  link: ModelLink,
  callOptions: LanguageModelV3CallOptions,
  commit: (result: LanguageModelV3StreamResult) => void,
): Promise<void> {
  const result = await link.model.doStream(callOptions);
  const reader = result.stream.getReader();
  // The answering model's id first: a provider that sends its own metadata later overrides it.
  const buffered: LanguageModelV3StreamPart[] = [{ type: "response-metadata", modelId: link.model.modelId }];
  for (;;) {
    let next: ReadableStreamReadResult<LanguageModelV3StreamPart>;
    try {
      next = await reader.read();
    } catch (error) {
      reader.cancel(error).catch(() => undefined);
      throw error;
    }
    if (next.done) break;
    if (next.value.type === "error") {
      reader.cancel(next.value.error).catch(() => undefined);
      throw next.value.error;
    }
    buffered.push(next.value);
    // Chat Completions opens with an empty delta (the role chunk's `content: ""`): not output yet.
    if (!PREAMBLE.has(next.value.type) && !(next.value.type === "text-delta" && next.value.delta === "")) break;
  }

  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const settled = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  commit({
    ...result,
    stream: new ReadableStream<LanguageModelV3StreamPart>({
      async pull(controller) {
        const part = buffered.shift();
        if (part) return controller.enqueue(part);
        try {
          const next = await reader.read();
          if (next.done) {
            controller.close();
            settle.resolve();
            return;
          }
          controller.enqueue(next.value);
          if (next.value.type === "error") settle.reject(next.value.error);
        } catch (error) {
          controller.error(error);
          settle.reject(error);
        }
      },
      cancel(reason) {
        // The consumer stopped reading (a cancel, or it had enough): not the link's failure.
        settle.resolve();
        return reader.cancel(reason);
      },
    }),
  });
  await settled;
}
