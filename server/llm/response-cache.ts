import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
  SharedV3ProviderMetadata,
} from "@ai-sdk/provider";
import { DelegatingLanguageModel } from "@/server/llm/delegating-model";
import { LRUCache } from "lru-cache";
import { createHash } from "node:crypto";
import { deleteExpiredCacheEntries, findLiveCacheEntry, upsertCacheEntry } from "@/server/db/queries/model-cache";
import { findLiveRedisCacheEntry, putRedisCacheEntry } from "@/server/db/queries/model-cache-redis";
import { getEnv } from "@/server/env";
import { createAbortError } from "@/server/llm/abort";
import { countCacheHit, countCacheMiss, countCacheStore } from "@/server/llm/cache-counters";
import { logger } from "@/server/observability/logger";
import { prepareBudgetedCall } from "@/server/llm/budget";

/**
 * The response cache (#20 §6): a model call identical to an earlier one of the same team — same
 * provider and model, prompt, parameters (temperature, max tokens, response format…), tools and
 * provider options — is answered with the stored response instead of calling the model. An
 * in-memory LRU sits in front of the shared store — Postgres (LlmCacheEntry) by default, Redis
 * when REDIS_URL is set — so every server process shares what one stored. A streamed hit replays the stored stream parts as a stream,
 * reports zero usage and carries `providerMetadata.chorus.cached = true` on its finish part (a
 * generate hit on its result), which usage recording and callers read.
 *
 * Only complete answers are stored: a stream that ends with a finish part whose reason is stop,
 * length or tool-calls, without an error part — never an error, an aborted or cancelled stream, a
 * provider's tool-approval request, or a response carrying binary files. A response that *calls
 * tools* is stored: replayed, the tools run again (their results are not cached, and a tool that
 * needs approval asks again), which is what a fresh answer would lead to as well.
 */

export interface CacheOptions {
  teamId: string;
  /** The team's and the task's switch together; false returns the model unwrapped. */
  enabled: boolean;
  /** How long a stored response answers; default CHORUS_MODEL_CACHE_TTL_SECONDS. */
  ttlSeconds?: number;
  /**
   * The ModelLink's key (server/llm/model-link.ts), when there is one: it tells apart two provider
   * configurations that report the same provider and model id (two OpenAI-compatible servers
   * both serving "llama3"). Without it, provider and model id alone name the model.
   */
  modelKey?: string;
}

/** What `providerMetadata.chorus` carries on a cache hit. */
export const CACHED_METADATA_KEY = "chorus";

export function isCachedResponse(metadata: SharedV3ProviderMetadata | undefined): boolean {
  return metadata?.[CACHED_METADATA_KEY]?.cached === true;
}

export function withCache(model: LanguageModelV3, options: CacheOptions): LanguageModelV3 {
  if (!options.enabled) return model;
  return new CachedLanguageModel(
    model,
    options.teamId,
    (options.ttlSeconds ?? getEnv().CHORUS_MODEL_CACHE_TTL_SECONDS) * 1000,
    options.modelKey ?? `${model.provider}:${model.modelId}`,
  );
}

/** Forgets what this process holds in memory (the shared store keeps it): how tests and the bench see a fresh process. */
export function forgetCachedResponsesInMemory(): void {
  memory.clear();
}

/** Waits for the shared-store writes started so far (tests; a graceful shutdown). */
export async function settleCacheWrites(): Promise<void> {
  await Promise.allSettled([...pendingWrites]);
}

type StoredPart = LanguageModelV3StreamPart;
type StoredResponse =
  | { kind: "stream"; parts: StoredPart[] }
  | {
      kind: "generate";
      result: Pick<LanguageModelV3GenerateResult, "content" | "finishReason" | "providerMetadata" | "warnings"> & {
        response?: { id?: string; modelId?: string; timestamp?: string };
      };
    };

interface MemoryEntry {
  response: StoredResponse;
  expiresAt: number;
  size: number;
}

/** Bounded by entries and by size (characters of JSON): a few long answers must not push the process's memory up. */
const memory = new LRUCache<string, MemoryEntry>({
  max: 2000,
  maxSize: 64 * 1024 * 1024,
  sizeCalculation: (entry) => Math.max(1, entry.size),
});
const pendingWrites = new Set<Promise<unknown>>();
const CLEANUP_INTERVAL_MS = 60_000;
let lastCleanup = 0;

const STORABLE_FINISH = new Set(["stop", "length", "tool-calls"]);

const ZERO_USAGE: LanguageModelV3Usage = {
  inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 0, text: 0, reasoning: 0 },
};

class CachedLanguageModel extends DelegatingLanguageModel {
  constructor(
    inner: LanguageModelV3,
    private readonly teamId: string,
    private readonly ttlMs: number,
    private readonly modelKey: string,
  ) {
    super(inner);
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const hash = requestHash(this.modelKey, this.teamId, "generate", options);
    const found = await this.lookUp(hash, options);
    if (found.stored?.kind === "generate") return replayGenerate(found.stored);
    const result = await this.inner.doGenerate(found.options ?? options);
    if (
      STORABLE_FINISH.has(result.finishReason.unified) &&
      !result.content.some((part) => part.type === "file" || part.type === "tool-approval-request")
    ) {
      this.store(hash, {
        kind: "generate",
        result: {
          content: result.content,
          finishReason: result.finishReason,
          providerMetadata: result.providerMetadata,
          warnings: result.warnings,
          response: { id: result.response?.id, modelId: result.response?.modelId, timestamp: result.response?.timestamp?.toISOString() },
        },
      });
    }
    return result;
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const hash = requestHash(this.modelKey, this.teamId, "stream", options);
    const found = await this.lookUp(hash, options);
    if (found.stored?.kind === "stream") return { stream: replayStream(found.stored.parts, options.abortSignal) };
    const result = await this.inner.doStream(found.options ?? options);
    const parts: StoredPart[] = [];
    let storable = true;
    let finished = false;
    const reader = result.stream.getReader();
    const store = (hash: string, parts: StoredPart[]) => this.store(hash, { kind: "stream", parts });
    // Reads the model's stream as the consumer pulls, keeping a copy of each part; stored only once it ended whole.
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      async pull(controller) {
        let next: ReadableStreamReadResult<LanguageModelV3StreamPart>;
        try {
          next = await reader.read();
        } catch (error) {
          controller.error(error);
          return;
        }
        if (next.done) {
          controller.close();
          if (storable && finished && !options.abortSignal?.aborted) store(hash, parts);
          return;
        }
        const part = next.value;
        if (storable) {
          if (part.type === "error" || part.type === "file" || part.type === "tool-approval-request") storable = false;
          else if (part.type === "finish") {
            finished = true;
            if (!STORABLE_FINISH.has(part.finishReason.unified)) storable = false;
          }
          if (storable && part.type !== "raw") parts.push(part);
        }
        controller.enqueue(part);
      },
      cancel(reason) {
        storable = false;
        return reader.cancel(reason);
      },
    });
    return { ...result, stream };
  }

  /** This process's copy, when it holds one that has not expired. */
  private fromMemory(hash: string): StoredResponse | undefined {
    const key = `${this.teamId}:${hash}`;
    const remembered = memory.get(key);
    if (remembered && remembered.expiresAt > Date.now()) {
      countCacheHit("memory");
      return remembered.response;
    }
    if (remembered) memory.delete(key);
    return undefined;
  }

  /** The shared store's entry (Postgres, or Redis with REDIS_URL), kept in memory once found; a miss is counted. */
  private async fromStore(hash: string): Promise<StoredResponse | undefined> {
    const now = Date.now();
    try {
      const row = getEnv().REDIS_URL
        ? await findLiveRedisCacheEntry(this.teamId, hash, new Date(now))
        : await findLiveCacheEntry(this.teamId, hash, new Date(now));
      if (row) {
        const response = row.response as unknown as StoredResponse;
        memory.set(`${this.teamId}:${hash}`, { response, expiresAt: row.expiresAt.getTime(), size: JSON.stringify(row.response).length });
        countCacheHit("store");
        return response;
      }
    } catch (error) {
      // The cache is an optimisation: a store that cannot be read is a miss, not a failed call.
      logger.warn("the response cache could not be read", { teamId: this.teamId, error });
    }
    countCacheMiss();
    return undefined;
  }

  /**
   * The stored response for `hash`, and the options to call the model with on a miss. While the
   * shared store is read, a budgeted model (budget.ts) already reserves for the call, so a miss
   * pays one round trip, not two; a hit abandons that reservation, off the caller's path. A hit
   * from memory reserves nothing.
   */
  private async lookUp(
    hash: string,
    options: LanguageModelV3CallOptions,
  ): Promise<{ stored: StoredResponse; options?: undefined } | { stored?: undefined; options: LanguageModelV3CallOptions }> {
    const remembered = this.fromMemory(hash);
    if (remembered) return { stored: remembered };
    const prepared = prepareBudgetedCall(this.inner, options);
    const stored = await this.fromStore(hash);
    if (stored) {
      prepared?.abandon();
      return { stored };
    }
    return { options: prepared?.options ?? options };
  }

  private store(hash: string, response: StoredResponse) {
    const json = JSON.stringify(response);
    const expiresAt = Date.now() + this.ttlMs;
    memory.set(`${this.teamId}:${hash}`, { response: JSON.parse(json) as StoredResponse, expiresAt, size: json.length });
    countCacheStore();
    const entry = { teamId: this.teamId, requestHash: hash, modelKey: this.modelKey, response, expiresAt: new Date(expiresAt) };
    // Redis expires its keys itself; Postgres rows are swept now and then.
    const write = (getEnv().REDIS_URL ? putRedisCacheEntry(entry) : upsertCacheEntry(entry).then(() => cleanUpOccasionally()))
      .catch((error: unknown) => logger.warn("a model response could not be stored in the cache", { teamId: this.teamId, error }))
      .finally(() => pendingWrites.delete(write));
    pendingWrites.add(write);
  }
}

/** Expired rows are ignored by lookups; at most once a minute per process a write also deletes a batch of them. */
async function cleanUpOccasionally() {
  const now = Date.now();
  if (now - lastCleanup < CLEANUP_INTERVAL_MS) return;
  lastCleanup = now;
  await deleteExpiredCacheEntries(new Date(now));
}

function replayGenerate(stored: Extract<StoredResponse, { kind: "generate" }>): LanguageModelV3GenerateResult {
  const { response, ...result } = stored.result;
  return {
    ...result,
    usage: ZERO_USAGE,
    providerMetadata: markedCached(result.providerMetadata),
    response: { id: response?.id, modelId: response?.modelId, timestamp: response?.timestamp ? new Date(response.timestamp) : undefined },
  };
}

/** The stored parts as a stream the consumer pulls, like a live answer; an abort ends it as a live one would. */
function replayStream(parts: readonly StoredPart[], signal: AbortSignal | undefined): ReadableStream<LanguageModelV3StreamPart> {
  let next = 0;
  return new ReadableStream<LanguageModelV3StreamPart>({
    pull(controller) {
      if (signal?.aborted) return controller.error(createAbortError(signal));
      const part = parts[next];
      next += 1;
      if (part === undefined) return controller.close();
      controller.enqueue(replayedPart(part));
      if (next === parts.length) controller.close();
    },
  });
}

function replayedPart(part: StoredPart): LanguageModelV3StreamPart {
  if (part.type === "finish") return { ...part, usage: ZERO_USAGE, providerMetadata: markedCached(part.providerMetadata) };
  if (part.type === "response-metadata" && part.timestamp !== undefined) return { ...part, timestamp: new Date(part.timestamp) };
  return part;
}

function markedCached(metadata: SharedV3ProviderMetadata | undefined): SharedV3ProviderMetadata {
  return { ...metadata, [CACHED_METADATA_KEY]: { ...metadata?.[CACHED_METADATA_KEY], cached: true } };
}

/**
 * SHA-256 of the canonical request: the model (its ModelLink key, or provider and id), the team, the kind of call and
 * every option that shapes the answer. Left out: the abort signal, headers (they carry keys and
 * tracing, not meaning) and raw-chunk delivery.
 */
function requestHash(modelKey: string, teamId: string, kind: "stream" | "generate", options: LanguageModelV3CallOptions): string {
  const { abortSignal: _signal, headers: _headers, includeRawChunks: _raw, ...meaningful } = options;
  const canonical = canonicalJson({ v: 1, teamId, model: modelKey, kind, call: meaningful });
  return createHash("sha256").update(canonical).digest("hex");
}

/** JSON with object keys sorted and undefined left out, so equal requests hash equal whatever order their fields were built in. */
function canonicalJson(value: unknown): string {
  if (value === undefined || value === null || typeof value === "function") return "null";
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString("base64"));
  if (value instanceof URL || value instanceof Date) return JSON.stringify(value.toString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
