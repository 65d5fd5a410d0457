import type { LanguageModel, ModelMessage } from "ai";
import type { PendingApproval } from "@/server/llm/run-text-stream";
import type { Source, ToolCallObserver, ToolSpec } from "@/server/agents/tools/tool-spec";

export type { Source } from "@/server/agents/tools/tool-spec";
import type { TokenUsage } from "@/server/llm/usage";

/**
 * The agent contract (the reference architecture's BaseAgent). Built-in and team-defined
 * agents implement it the same way, so the coordinator never special-cases either.
 */

/** One plan step handed to an agent. */
export interface Subtask {
  stepId: string;
  agentKind: string;
  /** What this step must do (the plan step's `subtask` text). */
  instruction: string;
  /** The user's whole task, for context. */
  taskPrompt: string;
  dependsOn: string[];
}

/** The finished output of an earlier step, passed to the steps that build on it. */
export interface UpstreamOutput {
  stepId: string;
  agentKind: string;
  text: string;
  /** Sources the step found; aggregation lists them once, deduplicated. */
  sources?: Source[];
}

export interface AgentContext {
  taskId: string;
  teamId: string;
  upstream: UpstreamOutput[];
  abortSignal?: AbortSignal;
  /** Called with every text delta as it streams. */
  onDelta: (text: string) => void;
  /** Overrides the configured model (tests pass the offline model). */
  model?: LanguageModel;
  /**
   * Agents this one may ask the coordinator to bring in (a follow-up step that runs after this
   * one, before the steps that build on it). Absent: the agent cannot ask for help.
   */
  helpers?: Array<{ kind: string; name: string; description: string }>;
  /** Replaces the definition's built-in tools: tests give fakes, or [] for none. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each tool module has its own input type
  toolSpecs?: readonly ToolSpec<any>[];
  /** Tools beyond the definition's built-in ones for this run: the team's MCP tools this agent may use. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each tool module has its own input type
  extraToolSpecs?: readonly ToolSpec<any>[];
  /** Tools (by name) that wait for a person's approval before each call, besides those that always do. */
  toolsNeedingApproval?: readonly string[];
  /** Carries on a run that paused for tool approvals, with the decisions made. */
  resume?: { pause: AgentPause; decisions: readonly ToolDecision[] };
  /** Told of every tool call as it starts and ends (the agent step records and streams them). */
  toolObserver?: ToolCallObserver;
}

/** A request for another agent's help, made during a step; the coordinator decides whether to run it. */
export interface FollowUpRequest {
  agent: string;
  subtask: string;
  reason: string;
}

/** A person's answer to a pending tool call: approve (as called, or with edited input) or deny. */
export interface ToolDecision {
  approvalId: string;
  approved: boolean;
  /** Replaces the call's input (an approval with edits). */
  input?: unknown;
  reason?: string;
}

/**
 * A run stopped at tool calls that need approval: what it did so far, and the conversation to
 * carry on from. Plain JSON, so a durable step can hold it while people decide.
 */
export interface AgentPause {
  approvals: PendingApproval[];
  conversation: ModelMessage[];
  text: string;
  usage: TokenUsage;
  modelId: string;
  costUsd: number;
  sources: Source[];
  followUps: FollowUpRequest[];
}

export interface AgentResult {
  text: string;
  sources: Source[];
  usage: TokenUsage;
  /** The model that actually answered, as the provider reported it. */
  modelId: string;
  costUsd: number;
  /** Help this agent asked for (empty when it asked for none or could not ask). */
  followUps: FollowUpRequest[];
  /** Set when the run stopped for tool approvals instead of finishing; the other fields are what it did so far. */
  pause?: AgentPause;
}

export interface Agent {
  kind: string;
  name: string;
  description: string;
  capabilities: string[];
  /** The model id its definition asks for; undefined: the configured default. */
  modelId?: string;
  /** True for a subtask routed to this agent's kind, or a capability this agent offers. */
  canHandle(subtask: Subtask | { capability: string }): boolean;
  /** Runs one step. Rejects with an AbortError when `ctx.abortSignal` fires. */
  execute(subtask: Subtask, ctx: AgentContext): Promise<AgentResult>;
}

/** Everything needed to build an agent; built-ins and team-defined agents both use it. */
export interface AgentDefinition {
  kind: string;
  name: string;
  description: string;
  capabilities: string[];
  /** The agent's system prompt: who it is and how it works. */
  instructions: string;
  /** A model id for the configured provider; defaults to the provider's default. */
  modelId?: string;
  /** Built-in tools it may call, by name (server/agents/tools/catalog.ts); tools unavailable on this instance are left out. */
  toolNames?: readonly string[];
  /** Upper bound on model calls when tools are used (each tool round trip is one). */
  maxToolSteps?: number;
}
