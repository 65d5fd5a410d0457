import { matchesCapability } from "@/server/agents/capability-match";
import { buildAgentPrompt } from "@/server/agents/agent-prompt";
import { dedupeSources } from "@/server/agents/sources";
import { tool, zodSchema, type ModelMessage, type ToolSet } from "ai";
import { addUsage } from "@/server/llm/usage";
import { z } from "zod";
import type {
  Agent,
  AgentContext,
  AgentDefinition,
  AgentPause,
  AgentResult,
  FollowUpRequest,
  Source,
  Subtask,
  ToolDecision,
} from "@/server/agents/types";
import { buildTools, toolSetOf } from "@/server/agents/tools/toolbox";
import type { ToolRunOptions } from "@/server/agents/tools/run-tool";
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
    modelId: definition.modelId,
    canHandle(target) {
      return "capability" in target ? matchesCapability(definition, target.capability) : target.agentKind === definition.kind;
    },
    execute: (subtask, ctx) => executeAgent(definition, subtask, ctx),
  };
}

/** At most this many follow-ups per step; the coordinator also bounds them per task. */
const MAX_REQUESTS_PER_STEP = 2;

/**
 * The `request_help` tool: the model names another agent and what it should do; the request is
 * collected and handed back with the result, and the coordinator schedules it.
 */
function helpTool(helpers: NonNullable<AgentContext["helpers"]>, requests: FollowUpRequest[]): ToolSet {
  return {
    request_help: tool({
      description: `Ask the coordinator to have another agent do a follow-up step after yours; later steps will see its output. Use it only when your step needs work another agent is better at. Agents: ${helpers
        .map((helper) => `${helper.kind} (${helper.description})`)
        .join("; ")}`,
      inputSchema: helpRequestSchema(helpers.map((helper) => helper.kind)),
      execute: async (request) => {
        if (requests.length >= MAX_REQUESTS_PER_STEP)
          return "Not scheduled: this step has already asked for enough help. Finish your answer.";
        requests.push(request);
        return "Scheduled: the coordinator will run it after your step. Finish your own answer now.";
      },
    }),
  };
}

/**
 * The request_help input schema for a set of agent kinds, kept per set: every step offers the
 * tool, and converting a fresh zod schema to JSON Schema on each model call costs more than
 * the rest of preparing the call. A team's set of agents rarely changes.
 */
const helpRequestSchemas = new Map<string, ReturnType<typeof buildHelpRequestSchema>>();
const MAX_CACHED_HELP_SCHEMAS = 200;

function helpRequestSchema(kinds: string[]) {
  const key = kinds.join("\u0000");
  let schema = helpRequestSchemas.get(key);
  if (!schema) {
    if (helpRequestSchemas.size >= MAX_CACHED_HELP_SCHEMAS) helpRequestSchemas.delete(helpRequestSchemas.keys().next().value!);
    schema = buildHelpRequestSchema(kinds as [string, ...string[]]);
    helpRequestSchemas.set(key, schema);
  }
  return schema;
}

function buildHelpRequestSchema(kinds: [string, ...string[]]) {
  return zodSchema(
    z.object({
      agent: z.enum(kinds).describe("the agent kind to ask"),
      subtask: z.string().min(1).max(4000).describe("a self-contained instruction for that agent"),
      reason: z.string().min(1).max(500).describe("why this help is needed"),
    }),
  );
}

async function executeAgent(definition: AgentDefinition, subtask: Subtask, ctx: AgentContext): Promise<AgentResult> {
  throwIfAborted(ctx.abortSignal);
  const followUps: FollowUpRequest[] = [];
  const toolSources: Source[] = [];
  const runOptions: ToolRunOptions = {
    scope: { teamId: ctx.teamId, taskId: ctx.taskId, stepId: subtask.stepId, agentKind: definition.kind },
    signal: ctx.abortSignal,
    observer: ctx.toolObserver,
    addSources: (sources) => toolSources.push(...sources),
    needsApproval: (name) => ctx.toolsNeedingApproval?.includes(name) ?? false,
  };
  const tools = {
    ...(ctx.toolSpecs ? toolSetOf(ctx.toolSpecs, runOptions) : buildTools(definition.toolNames ?? [], runOptions)),
    ...(ctx.extraToolSpecs ? toolSetOf(ctx.extraToolSpecs, runOptions) : {}),
    ...(ctx.helpers?.length ? helpTool(ctx.helpers, followUps) : {}),
  };
  const pause = ctx.resume?.pause;
  if (pause) {
    followUps.push(...pause.followUps);
    toolSources.push(...pause.sources);
  }
  const completed = await runTextStream({
    model: ctx.model ?? getLanguageModel("agent", { modelId: definition.modelId }),
    system: definition.instructions,
    ...(ctx.resume
      ? { messages: continueConversation(ctx.resume.pause, ctx.resume.decisions) }
      : { prompt: buildAgentPrompt(subtask, ctx.upstream) }),
    onDelta: ctx.onDelta,
    abortSignal: ctx.abortSignal,
    tools: Object.keys(tools).length > 0 ? tools : undefined,
    maxToolSteps: definition.maxToolSteps,
  });
  const result: AgentResult = {
    text: (pause?.text ?? "") + completed.text,
    sources: dedupeSources([...toolSources, ...completed.urlSources]),
    usage: pause ? addUsage(pause.usage, completed.usage) : completed.usage,
    modelId: completed.modelId,
    costUsd: (pause?.costUsd ?? 0) + completed.costUsd,
    followUps,
  };
  if (completed.pendingApprovals.length > 0 && completed.conversation) {
    result.pause = { ...result, approvals: completed.pendingApprovals, conversation: completed.conversation };
  }
  return result;
}

/**
 * The paused conversation with people's decisions: edited inputs replace the calls' own, and the
 * approval responses go in the closing tool message, where the AI SDK looks for them (it then
 * runs the approved calls and tells the model of the denied ones before the model carries on).
 */
function continueConversation(pause: AgentPause, decisions: readonly ToolDecision[]): ModelMessage[] {
  const edits = new Map<string, unknown>();
  for (const decision of decisions) {
    const approval = pause.approvals.find((candidate) => candidate.approvalId === decision.approvalId);
    if (approval && decision.approved && decision.input !== undefined) edits.set(approval.callId, decision.input);
  }
  const messages: ModelMessage[] = pause.conversation.map((message) =>
    message.role === "assistant" && Array.isArray(message.content) && edits.size > 0
      ? {
          ...message,
          content: message.content.map((part) =>
            part.type === "tool-call" && edits.has(part.toolCallId) ? { ...part, input: edits.get(part.toolCallId) } : part,
          ),
        }
      : message,
  );
  const responses = decisions.map((decision) => ({
    type: "tool-approval-response" as const,
    approvalId: decision.approvalId,
    approved: decision.approved,
    ...(decision.reason ? { reason: decision.reason } : {}),
  }));
  const last = messages.at(-1);
  if (last?.role === "tool") messages[messages.length - 1] = { ...last, content: [...last.content, ...responses] };
  else messages.push({ role: "tool", content: responses });
  return messages;
}
