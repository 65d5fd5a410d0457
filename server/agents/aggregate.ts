import type { LanguageModel } from "ai";
import { upstreamBlocks } from "@/server/agents/agent-prompt";
import { dedupeSources, renderSourcesSection, stripSourcesSection } from "@/server/agents/sources";
import type { Source, UpstreamOutput } from "@/server/agents/types";
import { throwIfAborted } from "@/server/llm/abort";
import { formatPromptBlocks } from "@/server/llm/prompt-layout";
import { getLanguageModel } from "@/server/llm/providers";
import { runTextStream } from "@/server/llm/run-text-stream";
import { NO_USAGE, type TokenUsage } from "@/server/llm/usage";

/**
 * The task's final document: one markdown body plus one deduplicated Sources section.
 * When a synthesis step already wrote the deliverable (the usual plan), that is the body and
 * no model is called — paying a model to rewrite a finished document adds cost, not value.
 * Otherwise (several final outputs, no synthesis) the aggregator model merges them.
 */

export interface AggregateInput {
  taskPrompt: string;
  /** Outputs of the plan's steps, in plan order. */
  outputs: UpstreamOutput[];
  model?: LanguageModel;
  /** Receives the document as it is produced (the returned `markdown` is the authoritative copy). */
  onDelta?: (text: string) => void;
  abortSignal?: AbortSignal;
}

export interface AggregateResult {
  markdown: string;
  sources: Source[];
  usage: TokenUsage;
  /** The model that merged outputs, or "none" when the synthesis output was used as is. */
  modelId: string;
  costUsd: number;
}

export const AGGREGATOR_INSTRUCTIONS = `You are the Aggregator in Chorus, a team of AI agents. Several agents have each completed one step of the user's task; their outputs are in <upstream_output> blocks.

Your job: merge them into one coherent markdown document that answers the task in <task>.
- Start with a "# <title>" heading and a short summary, then organise by topic, not by agent.
- Keep every substantive fact and finding; remove repetition; where outputs disagree, say so.
- Never invent sources, URLs or figures. Do not add a Sources section: Chorus appends it.`;

export async function aggregateResults(input: AggregateInput): Promise<AggregateResult> {
  throwIfAborted(input.abortSignal);
  if (input.outputs.length === 0) throw new Error("aggregateResults needs at least one step output");
  const sources = dedupeSources(input.outputs.flatMap((output) => output.sources ?? []));
  const sourcesSection = sources.length > 0 ? `\n\n${renderSourcesSection(sources)}` : "";

  const finished =
    [...input.outputs].reverse().find((output) => output.agentKind === "synthesis") ??
    (input.outputs.length === 1 ? input.outputs[0] : undefined);
  if (finished) {
    const markdown = `${stripSourcesSection(finished.text)}${sourcesSection}`;
    input.onDelta?.(markdown);
    return { markdown, sources, usage: NO_USAGE, modelId: "none", costUsd: 0 };
  }

  const model = input.model ?? getLanguageModel("aggregator");
  const merged = await runTextStream({
    model,
    system: AGGREGATOR_INSTRUCTIONS,
    prompt: formatPromptBlocks([{ name: "task", attributes: {}, body: input.taskPrompt }, ...upstreamBlocks(input.outputs)]),
    onDelta: input.onDelta,
    abortSignal: input.abortSignal,
  });
  // The model may add its own Sources section despite the instructions; ours replaces it.
  const body = stripSourcesSection(merged.text);
  if (sourcesSection) input.onDelta?.(sourcesSection);
  return {
    markdown: `${body}${sourcesSection}`,
    sources,
    usage: merged.usage,
    modelId: merged.modelId,
    costUsd: merged.costUsd,
  };
}
