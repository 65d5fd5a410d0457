import { describe, expect, it } from "vitest";
import { createTask, getTask } from "@/server/tasks/tasks";
import { approveTask } from "@/server/tasks/task-actions";
import { createAgentDefinition, deleteAgentDefinition, listAgentDefinitions } from "@/server/teams/agent-definitions";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";

useEmbeddedExecutor();

const legalReviewer = {
  kind: "legal-review",
  name: "Legal Reviewer",
  description: "Checks plans and documents for legal and compliance risks.",
  instructions: "Point out legal risks, cite the relevant area of law, and suggest a safer wording.",
  capabilities: ["legal review", "compliance"],
};

describe("team-defined agents", () => {
  it("only admins define them; everyone in the team sees them beside the built-ins", async () => {
    const { callers } = await createTeamWithMembers();
    await expect(createAgentDefinition(callers.user, legalReviewer)).rejects.toMatchObject({ code: "forbidden" });
    await expect(createAgentDefinition(callers.admin, { ...legalReviewer, kind: "research" })).rejects.toMatchObject({
      code: "bad_request",
      field: "kind",
    });
    await expect(createAgentDefinition(callers.admin, { ...legalReviewer, capabilities: [] })).rejects.toMatchObject({
      field: "capabilities",
    });
    await createAgentDefinition(callers.admin, legalReviewer);
    await expect(createAgentDefinition(callers.admin, legalReviewer)).rejects.toMatchObject({ code: "conflict" });
    const { agents } = await listAgentDefinitions(callers.viewer);
    expect(agents.map((agent) => agent.kind)).toEqual(["research", "analysis", "synthesis", "legal-review"]);
    const other = await createTeamWithMembers();
    expect((await listAgentDefinitions(other.callers.viewer)).agents.map((agent) => agent.kind)).not.toContain("legal-review");
  });

  it("the planner routes a step to a team agent whose capability the task asks for, and it runs", async () => {
    const { callers } = await createTeamWithMembers();
    await createAgentDefinition(callers.admin, legalReviewer);
    const task = await createTask(callers.user, {
      prompt: "Draft a customer referral programme for a bakery, with a legal review of the terms.",
    });
    await waitForTaskStatus(task.id, ["completed", "failed"]);
    const done = await getTask(callers.user, task.id);
    expect(done.status).toBe("completed");
    const steps = (done.plan as { steps: Array<{ id: string; agent: string; dependsOn: string[]; reason: string }> }).steps;
    const legal = steps.find((step) => step.agent === "legal-review");
    expect(legal?.reason).toMatch(/legal review/);
    expect(steps.find((step) => step.agent === "synthesis")!.dependsOn).toContain(legal!.id);
    const execution = done.executions.find((candidate) => candidate.agent === "legal-review");
    expect(execution).toMatchObject({ status: "completed" });
    expect((execution!.output as { text: string }).text).toMatch(/legal reviewer/i);
  });

  it("a plan can only use agents the team has; deleting an agent removes it", async () => {
    const { callers } = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    await createAgentDefinition(other.callers.admin, legalReviewer);
    const task = await createTask(callers.user, { prompt: "Write a tagline", requireApproval: true });
    await waitForTaskStatus(task.id, ["awaiting_approval"]);
    const plan = { steps: [{ id: "legal", agent: "legal-review", subtask: "review", dependsOn: [], reason: "x" }] };
    await expect(approveTask(callers.user, task.id, { plan })).rejects.toMatchObject({ code: "bad_request", field: "plan" });
    await deleteAgentDefinition(other.callers.admin, "legal-review");
    await expect(deleteAgentDefinition(other.callers.admin, "legal-review")).rejects.toMatchObject({ code: "not_found" });
    // A kind that is no slug names no agent: a 404, never a database error.
    await expect(deleteAgentDefinition(other.callers.admin, "legal\u0000review")).rejects.toMatchObject({
      code: "not_found",
      field: "kind",
    });
  });

  it("refuses text Postgres cannot store (a NUL character), naming the field", async () => {
    const { callers } = await createTeamWithMembers();
    await expect(createAgentDefinition(callers.admin, { ...legalReviewer, instructions: "Review\u0000it" })).rejects.toMatchObject({
      code: "bad_request",
      field: "instructions",
    });
    await expect(
      createAgentDefinition(callers.admin, { ...legalReviewer, capabilities: ["law", "con\u0000tracts"] }),
    ).rejects.toMatchObject({
      code: "bad_request",
      field: "capabilities.1",
    });
    await expect(createTask(callers.user, { prompt: "a\u0000b" })).rejects.toMatchObject({ code: "bad_request", field: "prompt" });
  });
});
