import { defaultCatalog } from "tokenlens";
import { getEnv } from "@/server/env";
import { OFFLINE_MODEL_ID } from "@/server/llm/offline-model";
import type { TokenUsage } from "@/server/llm/usage";

/**
 * What a model call cost, from token usage. Prices come from tokenlens's static catalog (a
 * snapshot of models.dev bundled with the package: no network), then a few models newer than
 * that snapshot, and `CHORUS_MODEL_PRICES` overrides win over both. A model none of them knows
 * is *unknown*: `costOfCall` says so (priceKnown false, cost null) rather than pricing it at $0,
 * so usage pages can flag it. The offline model is known and free.
 */

export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
  /** Input tokens read from the provider's prompt cache; absent: priced as input. */
  cachedInputPerMillion?: number;
}

/** Where the catalog looks, in order: the vendors Chorus talks to first, so "gpt-4o" is OpenAI's own price, not a reseller's. */
const CATALOG_PROVIDERS = ["openai", "anthropic", "google", "mistral", "deepseek", "groq", "xai"] as const;

/** Released after tokenlens 1.3.1's snapshot (published prices, checked 2025-11). */
const NEWER_THAN_CATALOG: Record<string, ModelPrice> = {
  "claude-haiku-4-5": { inputPerMillion: 1, outputPerMillion: 5, cachedInputPerMillion: 0.1 },
  "claude-sonnet-4-5": { inputPerMillion: 3, outputPerMillion: 15, cachedInputPerMillion: 0.3 },
  "claude-opus-4-5": { inputPerMillion: 5, outputPerMillion: 25, cachedInputPerMillion: 0.5 },
};

const FREE: ModelPrice = { inputPerMillion: 0, outputPerMillion: 0 };

/** The catalog as family → price, built once: a dated id ("claude-3-5-haiku-20241022") also answers for its family. */
let catalogPrices: Map<string, ModelPrice> | undefined;

function catalog(): Map<string, ModelPrice> {
  if (catalogPrices) return catalogPrices;
  const prices = new Map<string, ModelPrice>();
  for (const provider of CATALOG_PROVIDERS) {
    const models = (
      defaultCatalog as Record<string, { models: Record<string, { cost?: Record<string, number | undefined> }> } | undefined>
    )[provider]?.models;
    for (const [id, model] of Object.entries(models ?? {})) {
      const cost = model.cost;
      if (cost?.input === undefined || cost.output === undefined) continue;
      const price: ModelPrice = {
        inputPerMillion: cost.input,
        outputPerMillion: cost.output,
        ...(cost.cache_read === undefined ? {} : { cachedInputPerMillion: cost.cache_read }),
      };
      for (const key of [id.toLowerCase(), familyOf(id)]) if (!prices.has(key)) prices.set(key, price);
    }
  }
  for (const [family, price] of Object.entries(NEWER_THAN_CATALOG)) prices.set(family, price);
  catalogPrices = prices;
  return prices;
}

/** "gpt-4o-mini-2024-07-18" → "gpt-4o-mini", "claude-3-5-haiku-latest" → "claude-3-5-haiku", "openai/gpt-4o" → "gpt-4o". */
function familyOf(modelId: string): string {
  return modelId
    .trim()
    .toLowerCase()
    .replace(/^(?:openai|anthropic)[/:]/, "")
    .replace(/-(?:latest|\d{4}-\d{2}-\d{2}|\d{8})$/, "");
}

/**
 * The entry for an id in a table: the exact id, its family, or the longest family it extends at
 * a "-" (so "gpt-4o" never prices "gpt-4o-mini", and "claude-opus-4-1" is not "claude-opus-4").
 */
function lookUp(table: ReadonlyMap<string, ModelPrice>, modelId: string): ModelPrice | undefined {
  const exact = table.get(modelId.trim().toLowerCase()) ?? table.get(familyOf(modelId));
  if (exact) return exact;
  const family = familyOf(modelId);
  let best: string | undefined;
  for (const candidate of table.keys()) {
    if (family.startsWith(`${candidate}-`) && (!best || candidate.length > best.length)) best = candidate;
  }
  return best === undefined ? undefined : table.get(best);
}

function overrides(): Map<string, ModelPrice> {
  const configured = getEnv().CHORUS_MODEL_PRICES;
  return new Map(
    Object.entries(configured).map(([id, price]) => [
      id.trim().toLowerCase(),
      {
        inputPerMillion: price.input,
        outputPerMillion: price.output,
        ...(price.cachedInput === undefined ? {} : { cachedInputPerMillion: price.cachedInput }),
      },
    ]),
  );
}

/** The price of a model id: a configured override, else the catalog; undefined when nobody knows it. */
export function priceForModel(modelId: string): ModelPrice | undefined {
  const overridden = lookUp(overrides(), modelId);
  if (overridden) return overridden;
  if (modelId === OFFLINE_MODEL_ID) return FREE;
  return lookUp(catalog(), modelId);
}

/** The tokens a call is priced on: `cachedInputTokens` are part of `inputTokens`, read from the provider's prompt cache. */
export interface PricedUsage extends TokenUsage {
  cachedInputTokens?: number;
}

export interface CallCost {
  /** USD, rounded to a millionth of a cent; null when the model's price is unknown. */
  costUsd: number | null;
  priceKnown: boolean;
}

export function costOfCall(modelId: string, usage: PricedUsage): CallCost {
  const price = priceForModel(modelId);
  if (!price) return { costUsd: null, priceKnown: false };
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const cost =
    ((usage.inputTokens - cached) * price.inputPerMillion +
      cached * (price.cachedInputPerMillion ?? price.inputPerMillion) +
      usage.outputTokens * price.outputPerMillion) /
    1_000_000;
  return { costUsd: Math.round(cost * 1e8) / 1e8, priceKnown: true };
}

/**
 * Cost in USD for the per-execution totals the task view shows; an unknown model counts 0 there.
 * The ModelCall rows (server/llm/usage-recording.ts) keep the difference: they flag it instead.
 */
export function estimateCostUsd(modelId: string, usage: PricedUsage): number {
  return costOfCall(modelId, usage).costUsd ?? 0;
}
