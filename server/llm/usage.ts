import type { LanguageModelUsage } from "ai";

/** Token counts Chorus records per model call, step and task. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export const NO_USAGE: TokenUsage = Object.freeze({ inputTokens: 0, outputTokens: 0 });

/** Providers may omit counts (some OpenAI-compatible servers do); missing counts as 0. */
export function toTokenUsage(usage: Partial<Pick<LanguageModelUsage, "inputTokens" | "outputTokens">> | undefined): TokenUsage {
  return { inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 };
}

export function addUsage(...usages: TokenUsage[]): TokenUsage {
  return usages.reduce(
    (total, usage) => ({ inputTokens: total.inputTokens + usage.inputTokens, outputTokens: total.outputTokens + usage.outputTokens }),
    { inputTokens: 0, outputTokens: 0 },
  );
}
