import { stepCountIs, streamText, type LanguageModel, type ModelMessage, type ToolSet } from "ai";
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
  /** The user prompt of a new conversation… */
  prompt?: string;
  /** …or a conversation to carry on (one that paused for tool approvals, with the decisions appended). */
  messages?: ModelMessage[];
  /** The text the run wrote before this call (when carrying on a conversation), which this call's text follows. */
  precedingText?: string;
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
  /** Tool calls waiting for a person's approval: the model stopped there. Empty when it finished. */
  pendingApprovals: PendingApproval[];
  /** The whole conversation so far, to carry on from once the approvals are decided (only when some are pending). */
  conversation?: ModelMessage[];
}

export interface PendingApproval {
  approvalId: string;
  callId: string;
  tool: string;
  input: unknown;
}

export async function runTextStream(request: TextStreamRequest): Promise<CompletedTextStream> {
  const { model, abortSignal } = request;
  const hasTools = request.tools !== undefined && Object.keys(request.tools).length > 0;
  const opening: ModelMessage[] = request.messages ?? [{ role: "user", content: request.prompt ?? "" }];
  const result = streamText({
    model,
    system: request.system,
    messages: opening,
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
  const pendingApprovals: PendingApproval[] = [];
  // Each model call after a tool call starts a new paragraph: without a break, what the model said
  // before calling ("I'll read the page first.") runs into its answer ("…first.# Notes").
  let stepStarted = false;
  try {
    for await (const part of result.fullStream) {
      switch (part.type) {
        case "start-step":
          stepStarted = true;
          break;
        case "text-delta": {
          if (part.text.length === 0) break;
          const piece = stepStarted ? paragraphBreakAfter(text || (request.precedingText ?? "")) + part.text : part.text;
          stepStarted = false;
          text += piece;
          request.onDelta?.(piece);
          break;
        }
        case "source":
          if (part.sourceType === "url") urlSources.push({ title: part.title ?? part.url, url: part.url });
          break;
        case "tool-approval-request":
          pendingApprovals.push({
            approvalId: part.approvalId,
            callId: part.toolCall.toolCallId,
            tool: part.toolCall.toolName,
            input: part.toolCall.input,
          });
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
  const conversation = pendingApprovals.length > 0 ? [...opening, ...(await result.response).messages] : undefined;
  return { text, usage, modelId, costUsd: estimateCostUsd(modelId, usage), urlSources, pendingApprovals, conversation };
}

/** What separates earlier text from a new paragraph: nothing at the start or after a blank line. */
function paragraphBreakAfter(text: string): string {
  if (text === "" || text.endsWith("\n\n")) return "";
  return text.endsWith("\n") ? "\n" : "\n\n";
}
