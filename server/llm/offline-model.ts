import type {
  JSONObject,
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3ToolCall,
  LanguageModelV3Usage,
  SharedV3ProviderOptions,
} from "@ai-sdk/provider";
import { delay, throwIfAborted } from "@/server/llm/abort";
import { writeOfflineText, type OfflineFinding, type OfflineRole } from "@/server/llm/offline-writer";
import { extractKeywords } from "@/server/llm/topics";
import { estimateTokens } from "@/server/llm/usage";
import { parsePromptBlocks } from "@/server/llm/prompt-layout";
import { stableHash } from "@/server/llm/seeded-random";

/**
 * A deterministic language model that needs no network or key: Chorus's default, so a fresh
 * install plans, streams and completes tasks out of the box, and tests run the real AI SDK
 * paths (streamText, structured output) without mocks. It implements the provider spec v3,
 * so nothing upstream knows it is not a remote model.
 */

export const OFFLINE_PROVIDER_ID = "chorus";
export const OFFLINE_MODEL_ID = "chorus-offline";
/** The schema name the planner uses; the offline model answers it with the plan it is offered. */
export const PLAN_SCHEMA_NAME = "chorus_plan";

/**
 * The offline model cannot plan, and the model layer knows nothing of agents: the planner
 * offers the plan to answer a PLAN_SCHEMA_NAME request with (its default plan, which is also
 * its fallback, so the two always agree) in provider options under OFFLINE_PROVIDER_ID, a
 * namespace every other provider ignores. Without an offered plan the answer has no steps.
 */
export function offeredPlanOptions(plan: JSONObject): SharedV3ProviderOptions {
  return { [OFFLINE_PROVIDER_ID]: { plan } };
}

/** The schema name the evals judge uses (server/evals/scorers/judge.ts); answered with the judgement it is offered. */
export const JUDGEMENT_SCHEMA_NAME = "chorus_judgement";

/**
 * The same arrangement for the evals judge: it offers its deterministic lexical estimate, so an
 * offline judgement is stable run to run and a real model's replaces it.
 */
export function offeredJudgementOptions(judgement: JSONObject): SharedV3ProviderOptions {
  return { [OFFLINE_PROVIDER_ID]: { judgement } };
}

/** Structured requests the offline model answers with what it is offered: schema name → provider option, and the answer without one. */
const OFFERED_ANSWERS: Record<string, { option: string; absent: JSONObject }> = {
  [PLAN_SCHEMA_NAME]: { option: "plan", absent: { steps: [] } },
  [JUDGEMENT_SCHEMA_NAME]: { option: "judgement", absent: { score: 0, reasoning: "No judgement was offered to the offline model." } },
};

function offeredAnswer(options: LanguageModelV3CallOptions, schemaName: string): JSONObject | undefined {
  const expected = OFFERED_ANSWERS[schemaName];
  if (!expected) return undefined;
  const offered = options.providerOptions?.[OFFLINE_PROVIDER_ID]?.[expected.option];
  return offered !== null && typeof offered === "object" && !Array.isArray(offered) ? offered : expected.absent;
}

export interface OfflineModelOptions {
  /** Pause before each streamed chunk, so people watching see tokens arrive. 0 for tests and benchmarks. */
  tokenDelayMs?: number;
  /** Words per text-delta. */
  wordsPerChunk?: number;
}

export function createOfflineModel(options: OfflineModelOptions = {}): LanguageModelV3 {
  return new OfflineLanguageModel(options);
}

class OfflineLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = "v3";
  readonly provider = OFFLINE_PROVIDER_ID;
  readonly modelId = OFFLINE_MODEL_ID;
  readonly supportedUrls = {};
  private readonly tokenDelayMs: number;
  private readonly wordsPerChunk: number;

  constructor(options: OfflineModelOptions) {
    this.tokenDelayMs = Math.max(0, options.tokenDelayMs ?? 15);
    this.wordsPerChunk = Math.max(1, options.wordsPerChunk ?? 3);
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    throwIfAborted(options.abortSignal);
    const reply = composeReply(options);
    return {
      content: reply.toolCall ? [reply.toolCall] : [{ type: "text", text: reply.text }],
      finishReason: reply.toolCall ? { unified: "tool-calls", raw: "tool_calls" } : { unified: "stop", raw: "stop" },
      usage: reply.usage,
      response: { id: reply.id, modelId: OFFLINE_MODEL_ID },
      warnings: [],
    };
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const signal = options.abortSignal;
    throwIfAborted(signal);
    const reply = composeReply(options);
    const textId = `${reply.id}-text`;
    const parts: LanguageModelV3StreamPart[] = [
      { type: "stream-start", warnings: [] },
      { type: "response-metadata", id: reply.id, modelId: OFFLINE_MODEL_ID },
      ...(reply.toolCall
        ? [reply.toolCall, { type: "finish", usage: reply.usage, finishReason: { unified: "tool-calls", raw: "tool_calls" } } as const]
        : [
            { type: "text-start", id: textId } as const,
            ...splitIntoChunks(reply.text, this.wordsPerChunk).map((delta): LanguageModelV3StreamPart => ({
              type: "text-delta",
              id: textId,
              delta,
            })),
            { type: "text-end", id: textId } as const,
            { type: "finish", usage: reply.usage, finishReason: { unified: "stop", raw: "stop" } } as const,
          ]),
    ];
    const tokenDelayMs = this.tokenDelayMs;
    let next = 0;
    // pull(), not start(): chunks are produced as the consumer reads, so an abort or a
    // cancelled reader stops the work instead of letting a timer loop run on.
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      async pull(controller) {
        const part = parts[next];
        next += 1;
        if (part === undefined) return controller.close();
        if (part.type === "text-delta" && tokenDelayMs > 0) await delay(tokenDelayMs, signal);
        throwIfAborted(signal);
        controller.enqueue(part);
        if (next === parts.length) controller.close();
      },
    });
    return { stream };
  }
}

interface Reply {
  id: string;
  text: string;
  usage: LanguageModelV3Usage;
  /** Set when the model asks for a tool instead of answering. */
  toolCall?: LanguageModelV3ToolCall;
}

function composeReply(options: LanguageModelV3CallOptions): Reply {
  const { system, user, promptCharacters, toolResults, toolsCalled } = readPrompt(options);
  const blocks = parsePromptBlocks(user);
  const task = blocks.find((block) => block.name === "task")?.body ?? user;
  const format = options.responseFormat;
  const id = `offline-${stableHash(`${system}\u0000${user}\u0000${format?.type ?? "text"}\u0000${toolsCalled.length}`).toString(16)}`;
  const toolCall = format?.type === "json" ? undefined : chooseToolCall(options, blocks, task, toolsCalled, id);
  if (toolCall) return { id, text: "", usage: usageFor(promptCharacters, toolCall.input.length), toolCall };
  let text: string;
  if (format?.type === "json") {
    const offered = format.name === undefined ? undefined : offeredAnswer(options, format.name);
    text = offered
      ? JSON.stringify(offered, null, 2)
      : JSON.stringify({ result: writeOfflineText({ role: "custom", agentName: "Assistant", task, instruction: "", upstream: [] }) });
  } else {
    const identity = identify(system);
    text = writeOfflineText({
      ...identity,
      task,
      instruction: blocks.find((block) => block.name === "your_step")?.body ?? "",
      upstream: blocks
        .filter((block) => block.name === "upstream_output")
        .map((block) => ({
          stepId: block.attributes.step ?? "earlier-step",
          agentKind: block.attributes.agent ?? "agent",
          text: block.body,
        })),
      findings: findingsFrom(toolResults),
    });
  }
  return {
    id,
    text,
    usage: usageFor(promptCharacters, text.length),
  };
}

function readPrompt(options: LanguageModelV3CallOptions) {
  const system: string[] = [];
  const user: string[] = [];
  const toolResults: unknown[] = [];
  const toolsCalled: string[] = [];
  let promptCharacters = 0;
  for (const message of options.prompt) {
    if (message.role === "system") {
      system.push(message.content);
      promptCharacters += message.content.length;
      continue;
    }
    for (const part of message.content) {
      const text = part.type === "text" || part.type === "reasoning" ? part.text : JSON.stringify(part);
      promptCharacters += text.length;
      if (message.role === "user" && part.type === "text") user.push(part.text);
      if (part.type === "tool-call") toolsCalled.push(part.toolName);
      if (part.type === "tool-result" && part.output.type === "json") toolResults.push(part.output.value);
    }
  }
  return { system: system.join("\n"), user: user.join("\n\n"), promptCharacters, toolResults, toolsCalled };
}

/**
 * The offline model's one tool habit, so a new install shows tools at work with no key: offered
 * `search_knowledge` and not having searched yet, it searches the team's knowledge base for the
 * words of the task (then of its step), any of them. It answers once the results are in.
 */
function chooseToolCall(
  options: LanguageModelV3CallOptions,
  blocks: ReturnType<typeof parsePromptBlocks>,
  task: string,
  toolsCalled: readonly string[],
  replyId: string,
): LanguageModelV3ToolCall | undefined {
  const offered = options.tools?.some((tool) => tool.type === "function" && tool.name === KNOWLEDGE_TOOL);
  if (!offered || toolsCalled.includes(KNOWLEDGE_TOOL) || options.toolChoice?.type === "none") return undefined;
  // The task's own words first: the step's instruction is mostly the planner's wording ("gather the facts…").
  const step = blocks.find((block) => block.name === "your_step")?.body ?? "";
  const words = [...new Set([...extractKeywords(task, 6), ...extractKeywords(step, 6)].map((keyword) => keyword.display.toLowerCase()))];
  if (words.length === 0) return undefined;
  return {
    type: "tool-call",
    toolCallId: `${replyId}-call-1`,
    toolName: KNOWLEDGE_TOOL,
    input: JSON.stringify({ query: words.slice(0, 8).join(" or ") }),
  };
}

const KNOWLEDGE_TOOL = "search_knowledge";

/** Passages from tool results the model was given: `results: [{ title, snippet }]` lists, or a page's `title` and `text`. */
function findingsFrom(results: readonly unknown[]): OfflineFinding[] {
  const findings: OfflineFinding[] = [];
  for (const result of results) {
    if (result === null || typeof result !== "object") continue;
    const record = result as Record<string, unknown>;
    const items = Array.isArray(record.results) ? record.results : typeof record.text === "string" ? [record] : [];
    for (const item of items) {
      if (item === null || typeof item !== "object") continue;
      const { title, snippet, text } = item as Record<string, unknown>;
      const passage = typeof snippet === "string" ? snippet : typeof text === "string" ? text : "";
      if (typeof title === "string" && passage.trim()) findings.push({ title, passage: passage.trim() });
    }
  }
  return findings.slice(0, 6);
}

/** Which role the system prompt gives: "You are the Research agent in Chorus, …". */
function identify(system: string): { role: OfflineRole; agentName: string } {
  const agentName = /You are (?:the )?(.+?)(?: agent)?(?: in Chorus)?[,.:\n]/i.exec(system)?.[1]?.trim() || "Assistant";
  const role: OfflineRole = /aggregat/i.test(agentName)
    ? "aggregator"
    : /synthes|writer|editor/i.test(agentName)
      ? "synthesis"
      : /analy/i.test(agentName)
        ? "analysis"
        : /research/i.test(agentName)
          ? "research"
          : "custom";
  return { role, agentName };
}

function usageFor(promptCharacters: number, outputCharacters: number): LanguageModelV3Usage {
  const input = estimateTokens(promptCharacters);
  const output = estimateTokens(outputCharacters);
  return {
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  };
}

/** Splits text into chunks of a few words each; joined back they give the exact text. */
export function splitIntoChunks(text: string, wordsPerChunk: number): string[] {
  const leading = /^\s*/.exec(text)?.[0] ?? "";
  const words = text.slice(leading.length).match(/\S+\s*/g) ?? [];
  const chunks: string[] = [];
  for (let index = 0; index < words.length; index += wordsPerChunk) {
    chunks.push(words.slice(index, index + wordsPerChunk).join(""));
  }
  if (chunks.length === 0) return leading ? [leading] : [];
  chunks[0] = leading + chunks[0];
  return chunks;
}
