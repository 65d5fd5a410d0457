import type { LanguageModelV3Prompt } from "@ai-sdk/provider";
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

/** Roughly four characters per token, the usual rule of thumb for English text: how Chorus estimates tokens no provider counted. */
export const CHARACTERS_PER_TOKEN = 4;

export function estimateTokens(characters: number): number {
  return Math.ceil(characters / CHARACTERS_PER_TOKEN);
}

/** The prompt's characters that count as input (files aside): what the 4-characters-a-token estimates start from. */
export function promptCharacters(prompt: LanguageModelV3Prompt): number {
  let characters = 0;
  for (const message of prompt) {
    if (typeof message.content === "string") {
      characters += message.content.length;
      continue;
    }
    for (const part of message.content) {
      if (part.type === "text" || part.type === "reasoning") characters += part.text.length;
      else if (part.type !== "file") characters += JSON.stringify(part).length;
    }
  }
  return characters;
}
