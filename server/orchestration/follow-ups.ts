import type { FollowUpRequest, Plan, PlanStep } from "@/server/agents";
import { MAX_PLAN_STEPS } from "@/server/agents/plan";

/**
 * Grows a plan with the follow-up steps an agent asked for (pure, so replays agree): each runs
 * after the step that asked, and every step that builds on the asking step waits for it too.
 * Bounded by `budget` (follow-ups left for the task) and the plan size limit; a follow-up step
 * cannot ask again, and requests for unknown agents are dropped.
 */
export function addFollowUps(
  plan: Plan,
  from: PlanStep,
  requests: readonly FollowUpRequest[],
  options: { budget: number; knownAgents: readonly string[] },
): { plan: Plan; added: PlanStep[] } {
  if (from.requestedBy) return { plan, added: [] };
  const room = Math.max(0, Math.min(options.budget, MAX_PLAN_STEPS - plan.steps.length));
  const ids = new Set(plan.steps.map((step) => step.id));
  const added: PlanStep[] = [];
  for (const request of requests) {
    if (added.length >= room) break;
    if (!options.knownAgents.includes(request.agent)) continue;
    let index = 1;
    let id = `${from.id.slice(0, 30)}-help-${index}`;
    while (ids.has(id)) id = `${from.id.slice(0, 30)}-help-${++index}`;
    ids.add(id);
    added.push({
      id,
      agent: request.agent,
      subtask: request.subtask,
      dependsOn: [from.id],
      reason: `Requested by ${from.id}: ${request.reason}`,
      requestedBy: from.id,
    });
  }
  if (added.length === 0) return { plan, added };
  const newIds = added.map((step) => step.id);
  const steps = plan.steps.map((step) =>
    step.dependsOn.includes(from.id) ? { ...step, dependsOn: [...step.dependsOn, ...newIds] } : step,
  );
  return { plan: { steps: [...steps, ...added] }, added };
}
