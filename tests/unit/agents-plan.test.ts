import { describe, expect, it } from "vitest";
import { listAgents } from "@/server/agents/registry";
import { buildDefaultPlan } from "@/server/agents/default-plan";
import {
  ancestorStepIds,
  finalSteps,
  readySteps,
  repairPlan,
  subtaskForStep,
  topologicalLayers,
  validatePlan,
  type Plan,
  type PlanStep,
} from "@/server/agents/plan";

const knownAgents = ["research", "analysis", "synthesis"];

function stepOf(id: string, agent: string, dependsOn: string[] = []): PlanStep {
  return { id, agent, subtask: `Do the ${id} work`, dependsOn, reason: `${agent} fits ${id}` };
}

/** research-a, research-b → analysis → synthesis */
const diamond: Plan = {
  steps: [
    stepOf("research-a", "research"),
    stepOf("research-b", "research"),
    stepOf("analysis", "analysis", ["research-a", "research-b"]),
    stepOf("synthesis", "synthesis", ["analysis"]),
  ],
};

function errorsOf(raw: unknown): string[] {
  const result = validatePlan(raw, { knownAgents });
  return result.ok ? [] : result.errors;
}

describe("validatePlan", () => {
  it("accepts a well-formed plan", () => {
    expect(validatePlan(diamond, { knownAgents })).toEqual({ ok: true, plan: diamond });
  });

  it("rejects ids that are not slugs, naming the step", () => {
    const errors = errorsOf({ steps: [stepOf("Research Step", "research")] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^step 1 \("Research Step"\): id must be a slug/);
  });

  it("rejects empty and oversized subtasks and missing reasons, naming the field", () => {
    const errors = errorsOf({
      steps: [
        { ...stepOf("a", "research"), subtask: "" },
        { ...stepOf("b", "research"), subtask: "x".repeat(4001) },
        { ...stepOf("c", "research"), reason: "" },
      ],
    });
    expect(errors).toEqual([
      'step 1 ("a"): subtask must not be empty',
      'step 2 ("b"): subtask must be at most 4000 characters',
      'step 3 ("c"): reason must explain why this agent was chosen',
    ]);
  });

  it("rejects plans with no steps or more than 12", () => {
    expect(errorsOf({ steps: [] })).toEqual(["steps: a plan needs at least one step"]);
    const thirteen = Array.from({ length: 13 }, (_, index) => stepOf(`s${index}`, "research"));
    expect(errorsOf({ steps: thirteen })).toEqual(["steps: a plan has at most 12 steps"]);
    expect(errorsOf("research then write")).toHaveLength(1);
  });

  it("rejects duplicate ids", () => {
    expect(errorsOf({ steps: [stepOf("research", "research"), stepOf("research", "analysis")] })).toEqual([
      'step 2 ("research"): duplicate id — step 1 already uses "research"',
    ]);
  });

  it("rejects dependencies on unknown steps and on the step itself", () => {
    expect(errorsOf({ steps: [stepOf("analysis", "analysis", ["research", "analysis"])] })).toEqual([
      'step "analysis": depends on unknown step "research"',
      'step "analysis": depends on itself',
    ]);
  });

  it("rejects unknown agents, listing the known ones", () => {
    expect(errorsOf({ steps: [stepOf("write", "writer")] })).toEqual([
      'step "write": unknown agent "writer" (known agents: research, analysis, synthesis)',
    ]);
  });

  it("rejects cycles, naming the steps in the cycle", () => {
    const errors = errorsOf({
      steps: [
        stepOf("research", "research", ["synthesis"]),
        stepOf("analysis", "analysis", ["research"]),
        stepOf("synthesis", "synthesis", ["analysis"]),
      ],
    });
    expect(errors).toEqual(['dependency cycle: "research" → "synthesis" → "analysis" → "research"']);
  });
});

describe("repairPlan", () => {
  const agents = listAgents();

  it("leaves a valid plan unchanged and reports no changes", () => {
    expect(repairPlan(diamond, agents)).toEqual({ ok: true, plan: diamond, changes: [] });
  });

  it("fixes ids, duplicate ids, field-name variants and unknown dependencies, and says what it changed", () => {
    const result = repairPlan(
      [
        { name: "Research Step", agent: "Research", task: "Find facts", depends_on: [], reason: "facts first" },
        { id: "research-step", agent: "research", subtask: "Find more facts", dependsOn: "Research Step", reason: "more facts" },
        { id: "analysis", agent: "analysis", subtask: "Analyse", dependsOn: ["Research Step", "research-step", "ghost", "analysis"] },
      ],
      agents,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.plan.steps.map((step) => [step.id, step.agent, step.dependsOn])).toEqual([
      ["research-step", "research", []],
      ["research-step-2", "research", ["research-step"]],
      ["analysis", "analysis", ["research-step"]],
    ]);
    expect(result.changes).toEqual([
      "wrapped a bare list of steps in { steps }",
      'step 1: id "Research Step" → "research-step"',
      'step "research-step": agent "Research" → "research" (closest capabilities)',
      'step 2: id "research-step" → "research-step-2"',
      'step "analysis": added a placeholder reason',
      'step "analysis": dropped dependency on unknown step "ghost"',
      'step "analysis": dropped its dependency on itself',
    ]);
  });

  it("maps an unknown agent to the agent with the closest capabilities", () => {
    const result = repairPlan(
      {
        steps: [
          stepOf("gather", "web-researcher"),
          { ...stepOf("compare", "critic"), subtask: "Compare the options and evaluate trade-offs", dependsOn: ["gather"] },
          { ...stepOf("write-up", "writer"), subtask: "Write the final summary report", dependsOn: ["compare"] },
        ],
      },
      agents,
    );
    expect(result.ok && result.plan.steps.map((step) => step.agent)).toEqual(["research", "analysis", "synthesis"]);
    expect(result.changes).toContain('step "write-up": agent "writer" → "synthesis" (closest capabilities)');
  });

  it("rejects an unknown agent that matches no capability", () => {
    const result = repairPlan({ steps: [{ ...stepOf("x", "juggler"), subtask: "Keep seven balls aloft" }] }, agents);
    expect(result).toMatchObject({ ok: false, errors: ['step "x": unknown agent "juggler" and no agent\'s capabilities match its work'] });
  });

  it("does not guess at cycles, empty plans or plans that are not plans", () => {
    const cyclic = repairPlan({ steps: [stepOf("a", "research", ["b"]), stepOf("b", "analysis", ["a"])] }, agents);
    expect(cyclic).toMatchObject({ ok: false, errors: ['dependency cycle: "a" → "b" → "a"'] });
    expect(repairPlan({ steps: [] }, agents)).toMatchObject({ ok: false, errors: ["the plan has no steps"] });
    expect(repairPlan("just do it", agents)).toMatchObject({ ok: false, errors: ["the plan must be an object with a steps array"] });
    expect(repairPlan({ steps: [{ id: "a", agent: "research" }] }, agents)).toMatchObject({
      ok: false,
      errors: ["step 1: has no subtask"],
    });
  });
});

describe("scheduling", () => {
  it("readySteps returns the steps whose dependencies are all complete, skipping running and done ones", () => {
    const ids = (steps: PlanStep[]) => steps.map((step) => step.id);
    expect(ids(readySteps(diamond, []))).toEqual(["research-a", "research-b"]);
    expect(ids(readySteps(diamond, [], ["research-a"]))).toEqual(["research-b"]);
    expect(ids(readySteps(diamond, ["research-a"], ["research-b"]))).toEqual([]);
    expect(ids(readySteps(diamond, new Set(["research-a", "research-b"])))).toEqual(["analysis"]);
    expect(ids(readySteps(diamond, ["research-a", "research-b", "analysis"]))).toEqual(["synthesis"]);
    expect(ids(readySteps(diamond, ["research-a", "research-b", "analysis", "synthesis"]))).toEqual([]);
  });

  it("topologicalLayers groups steps into waves that can run in parallel", () => {
    expect(topologicalLayers(diamond).map((layer) => layer.map((step) => step.id))).toEqual([
      ["research-a", "research-b"],
      ["analysis"],
      ["synthesis"],
    ]);
  });

  it("topologicalLayers refuses a cyclic plan instead of looping", () => {
    const cyclic: Plan = { steps: [stepOf("a", "research", ["b"]), stepOf("b", "analysis", ["a"])] };
    expect(() => topologicalLayers(cyclic)).toThrow(/cannot be ordered: "a", "b"/);
  });

  it("ancestorStepIds lists everything a step builds on, in plan order", () => {
    expect(ancestorStepIds(diamond, "synthesis")).toEqual(["research-a", "research-b", "analysis"]);
    expect(ancestorStepIds(diamond, "research-a")).toEqual([]);
  });

  it("finalSteps are the steps nothing depends on", () => {
    expect(finalSteps(diamond).map((step) => step.id)).toEqual(["synthesis"]);
  });

  it("subtaskForStep hands an agent its instruction plus the whole task", () => {
    expect(subtaskForStep(diamond.steps[2] as PlanStep, "Compare A and B")).toEqual({
      stepId: "analysis",
      agentKind: "analysis",
      instruction: "Do the analysis work",
      taskPrompt: "Compare A and B",
      dependsOn: ["research-a", "research-b"],
    });
  });
});

describe("buildDefaultPlan", () => {
  it("is research → analysis → synthesis, each step with a reason", () => {
    const plan = buildDefaultPlan("Write a market research brief on electric bikes in Europe");
    expect(plan.steps.map((step) => [step.id, step.dependsOn])).toEqual([
      ["research", []],
      ["analysis", ["research"]],
      ["synthesis", ["analysis"]],
    ]);
    expect(plan.steps[0]?.subtask).toContain("electric bikes in Europe");
    for (const step of plan.steps) expect(step.reason.length).toBeGreaterThan(20);
    expect(validatePlan(plan, { knownAgents }).ok).toBe(true);
  });

  it("researches each compared subject in parallel", () => {
    for (const prompt of ["Compare PostgreSQL and MySQL for analytics workloads", "Rust vs Go for command-line tools"]) {
      const layers = topologicalLayers(buildDefaultPlan(prompt));
      expect(layers[0]?.length).toBe(2);
      expect(layers[0]?.every((step) => step.agent === "research")).toBe(true);
    }
    const three = buildDefaultPlan("Compare the EV markets of Norway, Germany and France.");
    expect(three.steps.map((step) => step.id)).toEqual([
      "research-ev-markets-of-norway",
      "research-germany",
      "research-france",
      "analysis",
      "synthesis",
    ]);
  });

  it("stays valid for awkward prompts", () => {
    for (const prompt of ["", "?", "x".repeat(10_000), "Compare A and A", "Compare ünïcödé and 東京"]) {
      expect(validatePlan(buildDefaultPlan(prompt), { knownAgents })).toMatchObject({ ok: true });
    }
  });
});
