import type { LanguageModelV3 } from "@ai-sdk/provider";

/**
 * One model in a team's ordered list for a role (the first is used, the next ones are fallbacks):
 * the AI SDK model, and a stable key naming the provider configuration and model — what the
 * breaker, the cache and usage records are keyed by.
 */
export interface ModelLink {
  /** Stable across processes: `<provider config id or "env">:<provider kind>:<model id>`. */
  key: string;
  /** For people: "OpenAI · gpt-4o-mini (team key ••••1a2b)". */
  label: string;
  model: LanguageModelV3;
  /** The provider configuration's call limits; absent: the defaults. */
  limits?: { connectTimeoutMs?: number; stallTimeoutMs?: number; overallTimeoutMs?: number };
}

/** What a call site uses a model for: the planner, an agent (of a kind), or the final synthesis. */
export type ModelTarget = { role: "planner" } | { role: "aggregator" } | { role: "agent"; agentKind: string; modelId?: string };
