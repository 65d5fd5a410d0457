import type { TokenUsage } from "@/server/llm/usage";

/**
 * What a model call cost, from token usage. List prices in USD per million tokens, as
 * published by OpenAI and Anthropic (checked 2025-11); cached-input discounts are not
 * modelled, so costs err slightly high. Offline, self-hosted and unknown models cost 0.
 */

export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

const PRICES: Record<string, ModelPrice> = {
  // OpenAI
  "gpt-4o": { inputPerMillion: 2.5, outputPerMillion: 10 },
  "gpt-4o-mini": { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  "gpt-4.1": { inputPerMillion: 2, outputPerMillion: 8 },
  "gpt-4.1-mini": { inputPerMillion: 0.4, outputPerMillion: 1.6 },
  "gpt-4.1-nano": { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  "gpt-5": { inputPerMillion: 1.25, outputPerMillion: 10 },
  "gpt-5-mini": { inputPerMillion: 0.25, outputPerMillion: 2 },
  "gpt-5-nano": { inputPerMillion: 0.05, outputPerMillion: 0.4 },
  "gpt-3.5-turbo": { inputPerMillion: 0.5, outputPerMillion: 1.5 },
  o1: { inputPerMillion: 15, outputPerMillion: 60 },
  "o1-mini": { inputPerMillion: 1.1, outputPerMillion: 4.4 },
  o3: { inputPerMillion: 2, outputPerMillion: 8 },
  "o3-mini": { inputPerMillion: 1.1, outputPerMillion: 4.4 },
  "o4-mini": { inputPerMillion: 1.1, outputPerMillion: 4.4 },
  // Anthropic
  "claude-3-haiku": { inputPerMillion: 0.25, outputPerMillion: 1.25 },
  "claude-3-5-haiku": { inputPerMillion: 0.8, outputPerMillion: 4 },
  "claude-haiku-4-5": { inputPerMillion: 1, outputPerMillion: 5 },
  "claude-3-5-sonnet": { inputPerMillion: 3, outputPerMillion: 15 },
  "claude-3-7-sonnet": { inputPerMillion: 3, outputPerMillion: 15 },
  "claude-sonnet-4": { inputPerMillion: 3, outputPerMillion: 15 },
  "claude-3-opus": { inputPerMillion: 15, outputPerMillion: 75 },
  "claude-opus-4": { inputPerMillion: 15, outputPerMillion: 75 },
  "claude-opus-4-5": { inputPerMillion: 5, outputPerMillion: 25 },
};

/**
 * The price of a model id, matching dated and aliased ids to their family
 * ("gpt-4o-mini-2024-07-18", "claude-3-5-haiku-latest", "openai/gpt-4o" from routers).
 * The longest family name wins, and it must end at a "-" so "gpt-4o" never prices "gpt-4o-mini".
 */
export function priceForModel(modelId: string): ModelPrice | undefined {
  const id = modelId
    .trim()
    .toLowerCase()
    .replace(/^(?:openai|anthropic)\//, "");
  let best: string | undefined;
  for (const family of Object.keys(PRICES)) {
    const matches = id === family || id.startsWith(`${family}-`);
    if (matches && (!best || family.length > best.length)) best = family;
  }
  return best ? PRICES[best] : undefined;
}

/** Cost in USD, rounded to a millionth of a cent so sums stay free of float noise. */
export function estimateCostUsd(modelId: string, usage: TokenUsage): number {
  const price = priceForModel(modelId);
  if (!price) return 0;
  const cost = (usage.inputTokens * price.inputPerMillion + usage.outputTokens * price.outputPerMillion) / 1_000_000;
  return Math.round(cost * 1e8) / 1e8;
}
