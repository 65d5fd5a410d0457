import { describe, expect, it } from "vitest";
import { estimateCostUsd, priceForModel } from "@/server/llm/pricing";
import { addUsage, toTokenUsage } from "@/server/llm/usage";

describe("pricing", () => {
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

  it("costs nothing for the offline model, self-hosted models and unknown ids", () => {
    const usage = { inputTokens: 50_000, outputTokens: 50_000 };
    expect(estimateCostUsd("chorus-offline", usage)).toBe(0);
    expect(estimateCostUsd("llama3.1:8b", usage)).toBe(0);
    expect(estimateCostUsd("gpt-4omega", usage)).toBe(0);
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
