import type { Plan, PlanStep } from "@/server/agents/plan";
import { describeSubject, extractSubjects, joinAsList, slugify } from "@/server/llm/topics";
import { cutTextWithEllipsis } from "@/server/text/cut-text";

/** A team-defined agent the default plan may route a step to. */
export interface RoutableAgent {
  kind: string;
  name?: string;
  capabilities: readonly string[];
}

/**
 * The research → analysis → synthesis chain of the reference architecture, shaped by the
 * prompt: a task that compares several subjects researches each one in parallel, and a
 * team-defined agent whose name or a capability the task asks for gets its own step between
 * analysis and synthesis. It is the planner's fallback and the offline model's plan, so both
 * always agree.
 */
export function buildDefaultPlan(taskPrompt: string, teamAgents: readonly RoutableAgent[] = []): Plan {
  const subjects = extractSubjects(taskPrompt).slice(0, 4);
  const subject = describeSubject(taskPrompt);
  const research = subjects.length >= 2 ? researchPerSubject(subjects) : [researchStep(subject)];
  const focus = subjects.length >= 2 ? `Compare ${joinAsList(subjects)}` : `Analyse the research on ${subject}`;
  const analysis: PlanStep = {
    id: "analysis",
    agent: "analysis",
    subtask: `${focus}: identify the patterns, differences and insights that matter for the task, and present them as structured findings with the evidence for each.`,
    dependsOn: research.map((step) => step.id),
    reason:
      research.length > 1
        ? "The analysis agent compares the subjects side by side, so it waits for every research step."
        : "The analysis agent turns gathered facts into patterns and insights, so it needs the research first.",
  };
  const usedKinds = new Set(["research", "analysis", "synthesis"]);
  const specialists = teamAgents.flatMap((agent) => {
    if (usedKinds.has(agent.kind)) return [];
    const asked = askedCapability(taskPrompt, agent);
    if (!asked) return [];
    const step: PlanStep = {
      id: slugify(agent.kind, 40) || agent.kind,
      agent: agent.kind,
      subtask: `Apply your ${asked} expertise to the analysis of ${subject}: what does the task need from ${agent.name ?? agent.kind}?`,
      dependsOn: ["analysis"],
      reason: `The task asks for ${asked}, which is a capability of the team's ${agent.name ?? agent.kind} agent.`,
    };
    return [step];
  });
  const synthesis: PlanStep = {
    id: "synthesis",
    agent: "synthesis",
    subtask: `Write the final deliverable for the task "${clip(taskPrompt, 600)}": a clear, well-structured markdown document with an executive summary, key findings and recommendations, built on the analysis.`,
    dependsOn: ["analysis", ...specialists.map((step) => step.id)],
    reason: "The synthesis agent writes the final, formatted answer once the analysis is done.",
  };
  return { steps: [...research, analysis, ...specialists, synthesis] };
}

/** The capability (or name) of `agent` that the task mentions, if any. */
function askedCapability(taskPrompt: string, agent: RoutableAgent): string | undefined {
  const text = taskPrompt.toLowerCase();
  const candidates = [...agent.capabilities, agent.name ?? "", agent.kind.replace(/-/g, " ")]
    .map((phrase) => phrase.trim().toLowerCase())
    .filter((phrase) => phrase.length >= 3);
  return candidates.find((phrase) => text.includes(phrase));
}

function researchStep(subject: string): PlanStep {
  return {
    id: "research",
    agent: "research",
    subtask: `Gather the facts, context, actors and sources the task needs about ${subject}. Note open questions and where evidence is thin.`,
    dependsOn: [],
    reason: "The research agent gathers information and sources; everything after it builds on those facts.",
  };
}

function researchPerSubject(subjects: string[]): PlanStep[] {
  const used = new Set<string>();
  return subjects.map((subject, index) => {
    // An aside in parentheses describes the subject; it does not name it.
    let id = `research-${slugify(subject.replace(/\s*\([^()]*\)/g, ""), 30) || index + 1}`;
    if (used.has(id)) id = `${id.slice(0, 37)}-${index + 1}`;
    used.add(id);
    return {
      id,
      agent: "research",
      subtask: `Gather the facts, context, strengths, weaknesses and sources about ${subject} that the comparison needs.`,
      dependsOn: [],
      reason: `The task compares ${subjects.length} subjects; researching ${subject} in its own step lets the research run in parallel.`,
    };
  });
}

function clip(text: string, maxLength: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return cutTextWithEllipsis(flat, maxLength);
}
