import { describe, expect, it } from "vitest";
import { addFollowUps } from "@/server/orchestration/follow-ups";
import type { Plan } from "@/server/agents";

const plan: Plan = {
  steps: [
    { id: "research", agent: "research", subtask: "r", dependsOn: [], reason: "r" },
    { id: "analysis", agent: "analysis", subtask: "a", dependsOn: ["research"], reason: "a" },
    { id: "synthesis", agent: "synthesis", subtask: "s", dependsOn: ["analysis"], reason: "s" },
  ],
};
const ask = (agent: string, subtask = "more") => ({ agent, subtask, reason: "needed" });
const known = ["research", "analysis", "synthesis"];

describe("follow-up steps", () => {
  it("run after the asking step, and its dependents wait for them", () => {
    const { plan: grown, added } = addFollowUps(plan, plan.steps[0]!, [ask("research", "prices")], { budget: 3, knownAgents: known });
    expect(added).toEqual([
      {
        id: "research-help-1",
        agent: "research",
        subtask: "prices",
        dependsOn: ["research"],
        reason: "Requested by research: needed",
        requestedBy: "research",
      },
    ]);
    expect(grown.steps.find((step) => step.id === "analysis")!.dependsOn).toEqual(["research", "research-help-1"]);
    expect(grown.steps.find((step) => step.id === "synthesis")!.dependsOn).toEqual(["analysis"]);
  });

  it("are bounded by the task's budget, skip unknown agents, and cannot ask again", () => {
    const three = [ask("research"), ask("nobody"), ask("analysis"), ask("synthesis")];
    expect(addFollowUps(plan, plan.steps[1]!, three, { budget: 2, knownAgents: known }).added.map((step) => step.agent)).toEqual([
      "research",
      "analysis",
    ]);
    expect(addFollowUps(plan, plan.steps[1]!, three, { budget: 0, knownAgents: known }).added).toEqual([]);
    const { plan: grown, added } = addFollowUps(plan, plan.steps[1]!, [ask("research")], { budget: 3, knownAgents: known });
    expect(addFollowUps(grown, added[0]!, [ask("research")], { budget: 3, knownAgents: known }).added).toEqual([]);
  });

  it("never grow a plan past its size limit", () => {
    const big: Plan = {
      steps: Array.from({ length: 11 }, (_, index) => ({ id: `s${index}`, agent: "research", subtask: "x", dependsOn: [], reason: "x" })),
    };
    expect(addFollowUps(big, big.steps[0]!, [ask("research"), ask("research")], { budget: 3, knownAgents: known }).added).toHaveLength(1);
  });
});
