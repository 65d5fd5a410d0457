import type { JsonValue } from "@/server/db/types";
import { readStoredRouting, type ModelRouting } from "@/server/llm/model-routing";

/**
 * How a task's steps read its own configuration (`Task.runConfig`, set by an experiment through
 * createTask; its shape is server/tasks/task-run-config.ts). It arrives with the task settings a
 * step reads anyway (TaskModelSettings), so a task without one costs nothing more. Read
 * defensively: a stored value that no longer parses counts as "nothing set", never fails a step.
 * Pinned agent versions need no reading here: the statement that starts the task resolves them.
 */

/** The task's model routing, whose lists win over the team's; undefined for an ordinary task. */
export function taskRoutingOf(runConfig: JsonValue | null | undefined): ModelRouting | undefined {
  const models = (runConfig as { models?: unknown } | null | undefined)?.models;
  return models === undefined || models === null ? undefined : readStoredRouting(models);
}

/** Whether the task's agents are offered tools (knowledge search, fetch, web search, MCP): all but `tools: false`. */
export function taskOffersTools(runConfig: JsonValue | null | undefined): boolean {
  return (runConfig as { tools?: unknown } | null | undefined)?.tools !== false;
}
