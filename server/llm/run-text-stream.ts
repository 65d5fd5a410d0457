import { stepCountIs, streamText, type LanguageModel, type ToolSet } from "ai";
import { createAbortError, isAbortError } from "@/server/llm/abort";
import { estimateCostUsd } from "@/server/llm/pricing";
import { modelIdOf } from "@/server/llm/providers";
import { toTokenUsage, type TokenUsage } from "@/server/llm/usage";

/**
 * Runs one streamed model call to the end: forwards every text delta, and returns the text,
 * token usage, the model that answered and its cost. Failures reject (an abort as an
 * AbortError) instead of ending the stream quietly, so a step can never "succeed" with half
 * an answer.
 */

export interface TextStreamRequest {
  model: LanguageModel;
  system: string;
  prompt: string;
  onDelta?: (text: string) => void;
  abortSignal?: AbortSignal;
  tools?: ToolSet;
  /** Upper bound on model calls when tools are given. */
  maxToolSteps?: number;
}

export interface CompletedTextStream {
  text: string;
  usage: TokenUsage;
  modelId: string;
  costUsd: number;
  /** URL sources the provider itself reported (e.g. native web search). */
  urlSources: Array<{ title: string; url: string }>;
}

export async function runTextStream(request: TextStreamRequest): Promise<CompletedTextStream> {
  const { model, abortSignal } = request;
  const hasTools = request.tools !== undefined && Object.keys(request.tools).length > 0;
  const result = streamText({
    model,
    system: request.system,
    prompt: request.prompt,
    abortSignal,
    // Every attempt is a step attempt (recorded, with the step's backoff): see model-errors.ts.
    maxRetries: 0,
    ...(hasTools ? { tools: request.tools, stopWhen: stepCountIs(request.maxToolSteps ?? 5) } : {}),
    // Errors arrive as stream parts and are rethrown below; the default handler would also log them.
    onError: () => {},
  });

  let text = "";
  let usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  let modelId = modelIdOf(model);
  const urlSources: CompletedTextStream["urlSources"] = [];
  try {
    for await (const part of result.fullStream) {
      switch (part.type) {
        case "text-delta":
          if (part.text.length === 0) break;
          text += part.text;
          request.onDelta?.(part.text);
          break;
        case "source":
          if (part.sourceType === "url") urlSources.push({ title: part.title ?? part.url, url: part.url });
          break;
        case "finish-step":
          if (part.response.modelId) modelId = part.response.modelId;
          break;
        case "finish":
          usage = toTokenUsage(part.totalUsage);
          break;
        case "abort":
          throw createAbortError(abortSignal);
        case "error":
          throw part.error;
      }
    }
  } catch (error) {
    if (abortSignal?.aborted || isAbortError(error)) throw createAbortError(abortSignal);
    throw error;
  }
  return { text, usage, modelId, costUsd: estimateCostUsd(modelId, usage), urlSources };
}
