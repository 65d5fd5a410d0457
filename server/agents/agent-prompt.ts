import type { Subtask, UpstreamOutput } from "@/server/agents/types";
import { formatPromptBlocks, type PromptBlock } from "@/server/llm/prompt-layout";
import { cutText } from "@/server/text/cut-text";

/**
 * Each upstream output is capped so a long chain cannot overflow a model's context window;
 * the head of a markdown document carries its summary and main findings.
 */
export const MAX_UPSTREAM_CHARACTERS = 12_000;

/** The user prompt for one agent step: the task, this step's instruction, earlier outputs. */
export function buildAgentPrompt(subtask: Subtask, upstream: readonly UpstreamOutput[]): string {
  return formatPromptBlocks([
    { name: "task", attributes: {}, body: subtask.taskPrompt },
    { name: "your_step", attributes: { id: subtask.stepId }, body: subtask.instruction },
    ...upstreamBlocks(upstream),
  ]);
}

export function upstreamBlocks(upstream: readonly UpstreamOutput[]): PromptBlock[] {
  return upstream.map((output) => ({
    name: "upstream_output",
    attributes: { step: output.stepId, agent: output.agentKind },
    body:
      output.text.length > MAX_UPSTREAM_CHARACTERS
        ? `${cutText(output.text, MAX_UPSTREAM_CHARACTERS)}\n\n[… truncated ${output.text.length - MAX_UPSTREAM_CHARACTERS} characters]`
        : output.text,
  }));
}
