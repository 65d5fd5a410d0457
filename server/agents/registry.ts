import { z } from "zod";
import { analysisAgent, researchAgent, SHARED_RULES, synthesisAgent, TEAM_CONTEXT } from "@/server/agents/built-in-agents";
import { createAgent } from "@/server/agents/create-agent";
import type { Agent } from "@/server/agents/types";
import { BUILT_IN_TOOL_NAMES, isBuiltInToolName } from "@/server/agents/tools/catalog";

/**
 * Which agents exist. Built-ins are always there; team-defined agents (AgentDefinition rows)
 * are turned into Agents with `createCustomAgent` and passed in by the caller, which knows
 * the team — this module holds no per-team state.
 */

const BUILT_IN_AGENTS: readonly Agent[] = [researchAgent, analysisAgent, synthesisAgent];
export const BUILT_IN_AGENT_KINDS: readonly string[] = BUILT_IN_AGENTS.map((agent) => agent.kind);

export class UnknownAgentError extends Error {
  constructor(
    readonly kind: string,
    known: readonly string[],
  ) {
    super(`Unknown agent "${kind}" (known agents: ${known.join(", ")})`);
    this.name = "UnknownAgentError";
  }
}

export function listAgents(customAgents: readonly Agent[] = []): Agent[] {
  return [...BUILT_IN_AGENTS, ...customAgents];
}

/** The agent for a kind; throws UnknownAgentError, which no retry will fix. */
export function getAgent(kind: string, customAgents: readonly Agent[] = []): Agent {
  const agents = listAgents(customAgents);
  const agent = agents.find((candidate) => candidate.kind === kind);
  if (!agent)
    throw new UnknownAgentError(
      kind,
      agents.map((candidate) => candidate.kind),
    );
  return agent;
}

/** A team agent's kind: a slug. */
export const AGENT_KIND = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** The output formats the editor offers; any other text is taken as the team's own format instructions. */
export const OUTPUT_FORMAT_PRESETS = {
  markdown: "Write your answer in Markdown: headings, lists and tables where they help.",
  json: "Answer with one JSON value only (no prose and no code fences around it), so a program can parse it.",
  plain: "Write plain text: no Markdown, no headings or bullet syntax.",
} as const;

export const DEFAULT_OUTPUT_FORMAT = "markdown";

/** What a team agent is, without the kind it is stored under: what an edit replaces. */
export const agentDefinitionFieldsSchema = z.object({
  name: z.string().trim().min(1).max(80),
  description: z.string().trim().min(1).max(500),
  instructions: z.string().trim().min(1).max(8000),
  capabilities: z.array(z.string().trim().min(1).max(80)).min(1).max(20),
  modelId: z.string().trim().min(1).max(200).optional(),
  tools: z
    .array(z.string().max(100))
    .max(BUILT_IN_TOOL_NAMES.length)
    .refine((names) => names.every(isBuiltInToolName), `must name built-in tools only: ${BUILT_IN_TOOL_NAMES.join(", ")}`)
    .refine((names) => new Set(names).size === names.length, "must not name a tool twice")
    .default([]),
  /** "markdown", "json", "plain", or free-text format instructions. */
  outputFormat: z.string().trim().min(1).max(2000).default(DEFAULT_OUTPUT_FORMAT),
});

export const customAgentDefinitionSchema = agentDefinitionFieldsSchema.extend({
  kind: z
    .string()
    .regex(AGENT_KIND, "must be a slug: lower-case letters, digits and dashes, at most 40 characters")
    .refine((kind) => !BUILT_IN_AGENT_KINDS.includes(kind), "is reserved for a built-in agent"),
});

export type CustomAgentDefinition = z.input<typeof customAgentDefinitionSchema>;

/** The system-prompt line for an output format: a preset's wording, or the team's own text. */
export function outputFormatInstruction(outputFormat: string): string {
  return Object.hasOwn(OUTPUT_FORMAT_PRESETS, outputFormat)
    ? OUTPUT_FORMAT_PRESETS[outputFormat as keyof typeof OUTPUT_FORMAT_PRESETS]
    : `Format your answer as follows: ${outputFormat}`;
}

/** An Agent from a team's definition. Throws a ZodError naming the invalid field. */
export function createCustomAgent(definition: CustomAgentDefinition): Agent {
  const valid = customAgentDefinitionSchema.parse(definition);
  return createAgent({
    kind: valid.kind,
    name: valid.name,
    description: valid.description,
    capabilities: valid.capabilities,
    modelId: valid.modelId,
    toolNames: valid.tools,
    maxToolSteps: 6,
    // The team's instructions sit inside Chorus's frame so every agent keeps the same
    // prompt layout and honesty rules; "You are <name>" lets the offline model name it.
    instructions: `You are ${valid.name}, a custom agent in Chorus. ${valid.description}

${TEAM_CONTEXT}

Instructions from your team:
${valid.instructions}

Output format: ${outputFormatInstruction(valid.outputFormat)}

Always:
- ${SHARED_RULES}`,
  });
}
