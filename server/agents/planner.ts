import { generateText, NoObjectGeneratedError, Output, type LanguageModel } from "ai";
import { z } from "zod";
import type { AgentProfile } from "@/server/agents/capability-match";
import { buildDefaultPlan } from "@/server/agents/default-plan";
import { MAX_PLAN_STEPS, repairPlan, validatePlan, type Plan } from "@/server/agents/plan";
import { createAbortError, isAbortError } from "@/server/llm/abort";
import { offeredPlanOptions, PLAN_SCHEMA_NAME } from "@/server/llm/offline-model";
import { estimateCostUsd } from "@/server/llm/pricing";
import { formatPromptBlocks } from "@/server/llm/prompt-layout";
import { getLanguageModel, modelIdOf } from "@/server/llm/providers";
import { toTokenUsage, type TokenUsage } from "@/server/llm/usage";
import { cutText } from "@/server/text/cut-text";

/**
 * Asks the planner model for a plan, then trusts nothing: the answer is validated, repaired
 * where that needs no guessing, and replaced by the default research → analysis → synthesis
 * chain when it cannot be used. The result says which of the three happened and why.
 * Provider failures (network, auth, rate limit) are thrown, not hidden behind the fallback,
 * so the calling step can retry them.
 */

export interface PlanRequest {
  prompt: string;
  agents: readonly AgentProfile[];
  model?: LanguageModel;
  abortSignal?: AbortSignal;
}

export interface PlanResult {
  plan: Plan;
  source: "model" | "repaired" | "fallback";
  /** What repair changed, or why the fallback was used. */
  notes: string[];
  usage: TokenUsage;
  modelId: string;
  costUsd: number;
}

/**
 * The shape sent to the model. It carries no length or pattern limits — OpenAI's strict
 * structured outputs reject several of those keywords — so limits live in the descriptions
 * and are enforced afterwards by validatePlan.
 */
const planForModelSchema = z.object({
  steps: z
    .array(
      z.object({
        id: z.string().describe('Unique lower-case slug, e.g. "research-pricing" (letters, digits, dashes; max 40 characters)'),
        agent: z.string().describe("The kind of the agent that performs this step; one of the listed agent kinds"),
        subtask: z.string().describe("A self-contained instruction for that agent (max 4000 characters)"),
        dependsOn: z.array(z.string()).describe("Ids of the steps whose output this step needs; [] when none"),
        reason: z.string().describe("One sentence: why this agent fits this step"),
      }),
    )
    .describe(`1 to ${MAX_PLAN_STEPS} steps forming a dependency graph without cycles`),
});

/** Built once: the output spec converts the schema to JSON Schema, which costs more than the offline model's whole answer. */
const planOutput = Output.object({ schema: planForModelSchema, name: PLAN_SCHEMA_NAME, description: "A plan of agent steps for the task" });

export async function createPlan(request: PlanRequest): Promise<PlanResult> {
  const model = request.model ?? getLanguageModel("planner");
  const defaultPlan = buildDefaultPlan(request.prompt, request.agents);
  const answer = await askModelForPlan(model, request, defaultPlan);
  const knownAgents = request.agents.map((agent) => agent.kind);
  const cost = { usage: answer.usage, modelId: answer.modelId, costUsd: estimateCostUsd(answer.modelId, answer.usage) };

  const validation = validatePlan(answer.raw, { knownAgents });
  if (validation.ok) return { plan: validation.plan, source: "model", notes: [], ...cost };

  const repair = repairPlan(answer.raw, request.agents);
  if (repair.ok) return { plan: repair.plan, source: "repaired", notes: repair.changes, ...cost };

  const fallbackCheck = validatePlan(defaultPlan, { knownAgents });
  if (!fallbackCheck.ok) {
    throw new Error(
      `No usable plan: the model's plan was invalid and the default plan needs agents that are not available (${fallbackCheck.errors.join("; ")})`,
    );
  }
  return {
    plan: fallbackCheck.plan,
    source: "fallback",
    notes: [
      ...(answer.problem ? [answer.problem] : validation.errors.map((error) => `model plan: ${error}`)),
      ...repair.errors.filter((error) => !validation.errors.includes(error)).map((error) => `repair: ${error}`),
      "used the default research → analysis → synthesis plan instead",
    ],
    ...cost,
  };
}

interface ModelAnswer {
  /** The plan as the model wrote it, parsed as far as possible (undefined if not JSON). */
  raw: unknown;
  /** Why the answer could not be read, when it could not. */
  problem?: string;
  usage: TokenUsage;
  modelId: string;
}

async function askModelForPlan(model: LanguageModel, request: PlanRequest, defaultPlan: Plan): Promise<ModelAnswer> {
  try {
    const result = await generateText({
      model,
      system: plannerInstructions(request.agents),
      prompt: formatPromptBlocks([{ name: "task", attributes: {}, body: request.prompt }]),
      output: planOutput,
      // What the offline model answers with; other providers ignore it.
      providerOptions: offeredPlanOptions(defaultPlan),
      abortSignal: request.abortSignal,
      // The plan step's retries cover transient failures: see server/llm/model-errors.ts.
      maxRetries: 0,
    });
    return { raw: result.output, usage: toTokenUsage(result.usage), modelId: result.response.modelId || modelIdOf(model) };
  } catch (error) {
    if (request.abortSignal?.aborted || isAbortError(error)) throw createAbortError(request.abortSignal);
    // The model answered, but not with the expected shape: keep what it wrote for repair.
    if (NoObjectGeneratedError.isInstance(error)) {
      const raw = parseLooseJson(error.text);
      return {
        raw,
        problem: raw === undefined ? `the model's answer was not JSON: ${JSON.stringify(cutText(error.text ?? "", 120))}` : undefined,
        usage: toTokenUsage(error.usage),
        modelId: error.response?.modelId || modelIdOf(model),
      };
    }
    throw error;
  }
}

/** JSON from a model answer that may wrap it in prose or a ```json fence. */
function parseLooseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text)?.[1];
  const candidates = [text, fenced, text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1)];
  for (const candidate of candidates) {
    if (!candidate?.trim()) continue;
    try {
      return JSON.parse(candidate);
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

export function plannerInstructions(agents: readonly AgentProfile[]): string {
  const agentList = agents
    .map(
      (agent) =>
        `- ${agent.kind}${agent.name ? ` (${agent.name})` : ""}: ${agent.description ?? ""} Capabilities: ${agent.capabilities.join(", ")}.`,
    )
    .join("\n");
  return `You are the Planner in Chorus, a team of AI agents. Break the user's task (in <task>) into a small plan of steps, each performed by one agent.

Available agents:
${agentList}

Rules:
- 1 to ${MAX_PLAN_STEPS} steps; use the fewest that do the job well (usually 3 to 5).
- Each step has: id (a unique lower-case slug such as "research-pricing"), agent (one of the kinds above), subtask (a self-contained instruction for that agent), dependsOn (ids of the steps whose output it needs), reason (one sentence on why that agent fits the step).
- Steps that do not depend on each other run in parallel: when the task covers several independent subjects, give each its own research step.
- Finish with one step that produces the final deliverable — usually the synthesis agent — depending on the steps it needs.
- Dependencies must not form a cycle.`;
}
