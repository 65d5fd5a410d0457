import { z } from "zod";
import { closestAgent, type AgentProfile } from "@/server/agents/capability-match";
import type { Subtask } from "@/server/agents/types";
import { slugify } from "@/server/llm/topics";
import { cutText } from "@/server/text/cut-text";

/**
 * A plan is a small DAG of steps, each routed to an agent with a reason. This module is the
 * pure core of planning and scheduling: the schema, validation with messages that name the
 * offending step, repair of what a model commonly gets wrong, and the scheduler's questions
 * ("what can run now?", "in what waves?").
 */

export const STEP_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
export const MAX_PLAN_STEPS = 12;
export const MAX_SUBTASK_LENGTH = 4000;

export const planStepSchema = z.object({
  id: z.string().regex(STEP_ID_PATTERN, "must be a slug: lower-case letters, digits and dashes, at most 40 characters"),
  agent: z.string().min(1, "must name an agent"),
  subtask: z.string().min(1, "must not be empty").max(MAX_SUBTASK_LENGTH, `must be at most ${MAX_SUBTASK_LENGTH} characters`),
  dependsOn: z.array(z.string()),
  reason: z.string().min(1, "must explain why this agent was chosen"),
  /** Set on a follow-up step: the step whose agent asked for it (follow-ups cannot ask again). */
  requestedBy: z.string().optional(),
});

export const planSchema = z.object({
  steps: z.array(planStepSchema).min(1, "a plan needs at least one step").max(MAX_PLAN_STEPS, `a plan has at most ${MAX_PLAN_STEPS} steps`),
});

export type PlanStep = z.infer<typeof planStepSchema>;
export type Plan = z.infer<typeof planSchema>;

export type PlanValidation = { ok: true; plan: Plan } | { ok: false; errors: string[] };

export function validatePlan(raw: unknown, { knownAgents }: { knownAgents: readonly string[] }): PlanValidation {
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((issue) => describeIssue(issue, raw)) };
  }
  const plan = parsed.data;
  const errors: string[] = [];
  const firstIndexById = new Map<string, number>();
  plan.steps.forEach((step, index) => {
    const first = firstIndexById.get(step.id);
    if (first === undefined) firstIndexById.set(step.id, index);
    else errors.push(`step ${index + 1} ("${step.id}"): duplicate id — step ${first + 1} already uses "${step.id}"`);
  });
  const known = new Set(knownAgents);
  for (const step of plan.steps) {
    if (!known.has(step.agent)) {
      errors.push(`step "${step.id}": unknown agent "${step.agent}" (known agents: ${[...known].join(", ") || "none"})`);
    }
    for (const dependency of step.dependsOn) {
      if (dependency === step.id) errors.push(`step "${step.id}": depends on itself`);
      else if (!firstIndexById.has(dependency)) errors.push(`step "${step.id}": depends on unknown step "${dependency}"`);
    }
  }
  for (const cycle of findCycles(plan)) errors.push(`dependency cycle: ${cycle.map((id) => `"${id}"`).join(" → ")}`);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, plan };
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const [root, index, field] = issue.path;
  if (root === "steps" && typeof index === "number") {
    const rawId = (raw as { steps?: Array<{ id?: unknown }> })?.steps?.[index]?.id;
    const label = typeof rawId === "string" && rawId.length > 0 ? ` ("${rawId}")` : "";
    const where = field === undefined ? "" : ` ${String(field)}`;
    return `step ${index + 1}${label}:${where} ${issue.message}`;
  }
  return issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message;
}

/** Each cycle once, as the path that closes it ("a" → "b" → "a"). Self-loops are reported elsewhere. */
function findCycles(plan: Plan): string[][] {
  const dependencies = new Map(plan.steps.map((step) => [step.id, step.dependsOn.filter((id) => id !== step.id)]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (id: string) => {
    state.set(id, "visiting");
    stack.push(id);
    for (const dependency of dependencies.get(id) ?? []) {
      if (!dependencies.has(dependency)) continue;
      if (state.get(dependency) === "visiting") cycles.push([...stack.slice(stack.indexOf(dependency)), dependency]);
      else if (!state.has(dependency)) visit(dependency);
    }
    stack.pop();
    state.set(id, "done");
  };
  for (const step of plan.steps) if (!state.has(step.id)) visit(step.id);
  return cycles;
}

export type PlanRepair = { ok: true; plan: Plan; changes: string[] } | { ok: false; errors: string[]; changes: string[] };

/**
 * Fixes what can be fixed without guessing intent — field-name variants, ids that are not
 * slugs, duplicate ids, references to steps that do not exist, agent names that are close to
 * a real agent — and reports every change. Cycles, missing work and oversized plans are
 * not guessed at: those come back as errors.
 */
export function repairPlan(raw: unknown, knownAgents: readonly AgentProfile[]): PlanRepair {
  const changes: string[] = [];
  const fail = (...errors: string[]): PlanRepair => ({ ok: false, errors, changes });

  let rawSteps: unknown[];
  if (Array.isArray(raw)) {
    rawSteps = raw;
    changes.push("wrapped a bare list of steps in { steps }");
  } else if (isRecord(raw) && Array.isArray(raw.steps)) {
    rawSteps = raw.steps;
  } else {
    return fail("the plan must be an object with a steps array");
  }
  if (rawSteps.length === 0) return fail("the plan has no steps");
  if (rawSteps.length > MAX_PLAN_STEPS) return fail(`the plan has ${rawSteps.length} steps; at most ${MAX_PLAN_STEPS} are allowed`);

  const errors: string[] = [];
  const usedIds = new Set<string>();
  const idByReference = new Map<string, string>();
  const drafts: Array<PlanStep & { rawDependsOn: string[] }> = [];

  rawSteps.forEach((rawStep, index) => {
    const position = `step ${index + 1}`;
    if (!isRecord(rawStep)) {
      errors.push(`${position}: is not an object`);
      return;
    }
    const agentLabel = firstString(rawStep, ["agent", "agentKind", "agent_kind", "kind"]) ?? "";
    const subtask = firstString(rawStep, ["subtask", "instruction", "task", "description"]);
    if (!subtask) {
      errors.push(`${position}: has no subtask`);
      return;
    }
    const rawId = firstString(rawStep, ["id", "stepId", "step_id", "name"]) ?? "";
    const id = uniqueId(STEP_ID_PATTERN.test(rawId) ? rawId : slugify(rawId) || slugify(agentLabel) || `step-${index + 1}`, usedIds);
    if (id !== rawId) changes.push(rawId ? `${position}: id "${rawId}" → "${id}"` : `${position}: added id "${id}"`);
    // References resolve to the first step that had the id: later duplicates are renamed.
    for (const reference of [rawId, slugify(rawId)]) if (reference && !idByReference.has(reference)) idByReference.set(reference, id);

    const agent = resolveAgent(agentLabel, subtask, knownAgents);
    if (!agent) {
      errors.push(`step "${id}": unknown agent "${agentLabel}" and no agent's capabilities match its work`);
      return;
    }
    if (agent !== agentLabel) changes.push(`step "${id}": agent "${agentLabel}" → "${agent}" (closest capabilities)`);

    let reason = firstString(rawStep, ["reason", "rationale", "why"]);
    if (!reason) {
      reason = `Routed to the ${agent} agent by the planner (no reason given).`;
      changes.push(`step "${id}": added a placeholder reason`);
    }
    let boundedSubtask = subtask;
    if (subtask.length > MAX_SUBTASK_LENGTH) {
      boundedSubtask = cutText(subtask, MAX_SUBTASK_LENGTH);
      changes.push(`step "${id}": subtask shortened to ${MAX_SUBTASK_LENGTH} characters`);
    }
    drafts.push({ id, agent, subtask: boundedSubtask, reason, dependsOn: [], rawDependsOn: dependencyList(rawStep) });
  });
  if (errors.length > 0) return fail(...errors);

  const steps: PlanStep[] = drafts.map(({ rawDependsOn, ...step }) => {
    const dependsOn: string[] = [];
    for (const reference of rawDependsOn) {
      const target = idByReference.get(reference) ?? idByReference.get(slugify(reference));
      if (target === undefined) changes.push(`step "${step.id}": dropped dependency on unknown step "${reference}"`);
      else if (target === step.id) changes.push(`step "${step.id}": dropped its dependency on itself`);
      else if (!dependsOn.includes(target)) dependsOn.push(target);
    }
    return { ...step, dependsOn };
  });

  const validation = validatePlan({ steps }, { knownAgents: knownAgents.map((agent) => agent.kind) });
  return validation.ok ? { ok: true, plan: validation.plan, changes } : fail(...validation.errors);
}

function resolveAgent(label: string, work: string, agents: readonly AgentProfile[]): string | undefined {
  const exact = agents.find((agent) => agent.kind === label) ?? agents.find((agent) => agent.kind === slugify(label));
  return (exact ?? closestAgent(label, work, agents))?.kind;
}

function uniqueId(base: string, used: Set<string>): string {
  let id = base.slice(0, 40);
  for (let suffix = 2; used.has(id); suffix += 1) id = `${base.slice(0, 40 - String(suffix).length - 1)}-${suffix}`;
  used.add(id);
  return id;
}

function dependencyList(step: Record<string, unknown>): string[] {
  const value = step.dependsOn ?? step.depends_on ?? step.dependencies ?? step.after;
  const list = typeof value === "string" ? [value] : Array.isArray(value) ? value : [];
  return list.filter((item): item is string => typeof item === "string" && item.trim().length > 0).map((item) => item.trim());
}

function firstString(record: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === "string" && value.trim().length > 0) return value.trim();
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ——— Scheduling ———

/**
 * The steps that can start now: not finished, not running, every dependency finished.
 * In plan order, so fan-out is deterministic.
 */
export function readySteps(plan: Plan, completedIds: Iterable<string>, runningIds: Iterable<string> = []): PlanStep[] {
  const completed = new Set(completedIds);
  const running = new Set(runningIds);
  return plan.steps.filter(
    (step) => !completed.has(step.id) && !running.has(step.id) && step.dependsOn.every((dependency) => completed.has(dependency)),
  );
}

/**
 * The plan as waves of steps that can run in parallel: layer 0 has no dependencies, each
 * later layer depends only on earlier ones. Throws on a cycle (validated plans have none).
 */
export function topologicalLayers(plan: Plan): PlanStep[][] {
  const layers: PlanStep[][] = [];
  const placed = new Set<string>();
  while (placed.size < plan.steps.length) {
    const layer = readySteps(plan, placed);
    if (layer.length === 0) {
      const stuck = plan.steps.filter((step) => !placed.has(step.id)).map((step) => `"${step.id}"`);
      throw new Error(`plan cannot be ordered: ${stuck.join(", ")} wait on a cycle or a missing step`);
    }
    layers.push(layer);
    for (const step of layer) placed.add(step.id);
  }
  return layers;
}

/** Every step the given step builds on, directly or transitively, in plan order. */
export function ancestorStepIds(plan: Plan, stepId: string): string[] {
  const byId = new Map(plan.steps.map((step) => [step.id, step]));
  const found = new Set<string>();
  const pending = [...(byId.get(stepId)?.dependsOn ?? [])];
  while (pending.length > 0) {
    const id = pending.pop() as string;
    if (found.has(id)) continue;
    found.add(id);
    pending.push(...(byId.get(id)?.dependsOn ?? []));
  }
  return plan.steps.filter((step) => found.has(step.id)).map((step) => step.id);
}

/** The steps nothing else depends on: their outputs are the task's result. */
export function finalSteps(plan: Plan): PlanStep[] {
  const dependedOn = new Set(plan.steps.flatMap((step) => step.dependsOn));
  return plan.steps.filter((step) => !dependedOn.has(step.id));
}

export function subtaskForStep(step: PlanStep, taskPrompt: string): Subtask {
  return { stepId: step.id, agentKind: step.agent, instruction: step.subtask, taskPrompt, dependsOn: [...step.dependsOn] };
}
