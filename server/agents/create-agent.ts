import { matchesCapability } from "@/server/agents/capability-match";
import { buildAgentPrompt } from "@/server/agents/agent-prompt";
import { dedupeSources } from "@/server/agents/sources";
import type { Agent, AgentContext, AgentDefinition, AgentResult, Subtask } from "@/server/agents/types";
import { throwIfAborted } from "@/server/llm/abort";
import { getLanguageModel } from "@/server/llm/providers";
import { runTextStream } from "@/server/llm/run-text-stream";

/** Turns a definition (built-in or team-defined) into an Agent; all agents run this one way. */
export function createAgent(definition: AgentDefinition): Agent {
  return {
    kind: definition.kind,
    name: definition.name,
    description: definition.description,
    capabilities: [...definition.capabilities],
    canHandle(target) {
      return "capability" in target ? matchesCapability(definition, target.capability) : target.agentKind === definition.kind;
    },
    execute: (subtask, ctx) => executeAgent(definition, subtask, ctx),
  };
}

async function executeAgent(definition: AgentDefinition, subtask: Subtask, ctx: AgentContext): Promise<AgentResult> {
  throwIfAborted(ctx.abortSignal);
  const toolbox = definition.tools ? await definition.tools(subtask, ctx) : undefined;
  const completed = await runTextStream({
    model: ctx.model ?? getLanguageModel("agent", { modelId: definition.modelId }),
    system: definition.instructions,
    prompt: buildAgentPrompt(subtask, ctx.upstream),
    onDelta: ctx.onDelta,
    abortSignal: ctx.abortSignal,
    tools: toolbox?.tools,
    maxToolSteps: definition.maxToolSteps,
  });
  return {
    text: completed.text,
    sources: dedupeSources([...(toolbox?.collectedSources?.() ?? []), ...completed.urlSources]),
    usage: completed.usage,
    modelId: completed.modelId,
    costUsd: completed.costUsd,
  };
}
