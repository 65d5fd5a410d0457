import { afterEach, describe, expect, it } from "vitest";
import { costOfCall, estimateCostUsd, priceForModel } from "@/server/llm/pricing";
import { addUsage, toTokenUsage } from "@/server/llm/usage";

describe("pricing", () => {
  afterEach(() => {
    delete process.env.CHORUS_MODEL_PRICES;
  });

  it("prices a million input and output tokens at the list price", () => {
    expect(estimateCostUsd("gpt-4o-mini", { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBe(0.75);
    expect(estimateCostUsd("claude-3-5-haiku-latest", { inputTokens: 1_000_000, outputTokens: 0 })).toBe(0.8);
    expect(estimateCostUsd("claude-3-5-haiku-latest", { inputTokens: 0, outputTokens: 1_000_000 })).toBe(4);
  });

  it("computes small calls exactly, without float noise", () => {
    // 1200 × $2.50/M + 350 × $10/M = $0.003 + $0.0035
    expect(estimateCostUsd("gpt-4o", { inputTokens: 1200, outputTokens: 350 })).toBe(0.0065);
    expect(estimateCostUsd("gpt-4o-mini", { inputTokens: 1, outputTokens: 1 })).toBe(0.00000075);
  });

  it("matches dated and routed ids to their model family, longest family first", () => {
    expect(priceForModel("gpt-4o-mini-2024-07-18")).toEqual(priceForModel("gpt-4o-mini"));
    expect(priceForModel("gpt-4o-2024-08-06")).toEqual(priceForModel("gpt-4o"));
    expect(priceForModel("gpt-4o-mini")).not.toEqual(priceForModel("gpt-4o"));
    expect(priceForModel("openai/gpt-4o-mini")).toEqual(priceForModel("gpt-4o-mini"));
    expect(priceForModel("claude-opus-4-5-20251101")?.inputPerMillion).toBe(5);
    expect(priceForModel("claude-opus-4-1-20250805")?.inputPerMillion).toBe(15);
    expect(priceForModel("o3-mini")?.inputPerMillion).toBe(1.1);
    expect(priceForModel("o3")?.inputPerMillion).toBe(2);
  });

  it("knows the offline model is free, and flags models no table knows instead of pricing them at $0", () => {
    const usage = { inputTokens: 50_000, outputTokens: 50_000 };
    expect(costOfCall("chorus-offline", usage)).toEqual({ costUsd: 0, priceKnown: true });
    expect(costOfCall("llama3.1:8b", usage)).toEqual({ costUsd: null, priceKnown: false });
    expect(costOfCall("gpt-4omega", usage)).toEqual({ costUsd: null, priceKnown: false });
    // The per-execution totals keep counting unknown models as 0; ModelCall rows carry the flag.
    expect(estimateCostUsd("llama3.1:8b", usage)).toBe(0);
  });

  it("prices input read from the provider's prompt cache at the cached rate the catalog gives", () => {
    // gpt-4o-mini: $0.15/M input, $0.08/M cached input (tokenlens's catalog)
    expect(costOfCall("gpt-4o-mini", { inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 1_000_000 }).costUsd).toBe(0.08);
    expect(costOfCall("gpt-4o-mini", { inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 500_000 }).costUsd).toBe(0.115);
  });

  it("lets CHORUS_MODEL_PRICES price an unknown model and override a catalog price", () => {
    process.env.CHORUS_MODEL_PRICES = JSON.stringify({ "my-model": { input: 0.5, output: 1.5 }, "gpt-4o-mini": { input: 1, output: 2 } });
    expect(costOfCall("my-model", { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toEqual({ costUsd: 2, priceKnown: true });
    expect(costOfCall("my-model-2025-01-01", { inputTokens: 2_000_000, outputTokens: 0 }).costUsd).toBe(1);
    expect(estimateCostUsd("gpt-4o-mini", { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBe(3);
  });

  it("treats missing token counts as zero and adds usage", () => {
    expect(toTokenUsage({ inputTokens: undefined, outputTokens: 12 })).toEqual({ inputTokens: 0, outputTokens: 12 });
    expect(toTokenUsage(undefined)).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(addUsage({ inputTokens: 1, outputTokens: 2 }, { inputTokens: 10, outputTokens: 20 })).toEqual({
      inputTokens: 11,
      outputTokens: 22,
    });
  });
});
