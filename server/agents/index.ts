/** The agents' public door: the contract, the registry, planning, scheduling and aggregation. */
export type {
  Agent,
  AgentContext,
  AgentDefinition,
  AgentPause,
  AgentResult,
  FollowUpRequest,
  Source,
  Subtask,
  ToolDecision,
  UpstreamOutput,
} from "@/server/agents/types";
export { createAgent } from "@/server/agents/create-agent";
export {
  AGENT_KIND,
  agentDefinitionFieldsSchema,
  BUILT_IN_AGENT_KINDS,
  createCustomAgent,
  customAgentDefinitionSchema,
  DEFAULT_OUTPUT_FORMAT,
  OUTPUT_FORMAT_PRESETS,
  outputFormatInstruction,
  getAgent,
  listAgents,
  UnknownAgentError,
  type CustomAgentDefinition,
} from "@/server/agents/registry";
export {
  ancestorStepIds,
  MAX_SUBTASK_LENGTH,
  finalSteps,
  planSchema,
  planStepSchema,
  readySteps,
  repairPlan,
  subtaskForStep,
  topologicalLayers,
  validatePlan,
  type Plan,
  type PlanRepair,
  type PlanStep,
  type PlanValidation,
} from "@/server/agents/plan";
export { buildDefaultPlan } from "@/server/agents/default-plan";
export { createPlan, type PlanRequest, type PlanResult } from "@/server/agents/planner";
export { aggregateResults, type AggregateInput, type AggregateResult } from "@/server/agents/aggregate";
export { dedupeSources, renderSourcesSection, sourcesFromText } from "@/server/agents/sources";
export { toolInputSchema } from "@/server/agents/tools/toolbox";
export { BUILT_IN_TOOLS, BUILT_IN_TOOL_NAMES, isBuiltInToolName } from "@/server/agents/tools/catalog";
