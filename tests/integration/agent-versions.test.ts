import { describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getDb } from "@/server/db/client";
import { approveTask, rerunTask } from "@/server/tasks/task-actions";
import { createTask, getTask } from "@/server/tasks/tasks";
import { tryAgent } from "@/server/tasks/try-agent";
import {
  createAgentDefinition,
  deleteAgentDefinition,
  getAgentDefinition,
  listAgentVersions,
  updateAgentDefinition,
} from "@/server/teams/agent-definitions";
import { readRunEvents } from "@/server/db/queries/run-events";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { useApiServer } from "../support/api-server";

/**
 * Team agents have versions: every create and edit writes one, a no-op edit writes none, the
 * history says who wrote each; a task runs the versions it was planned with even when the agent
 * is edited (or deleted) meanwhile, and so does a rerun of it; "try it" runs one agent alone as a
 * one-step task, with no planner.
 */
useEmbeddedExecutor();
const api = useApiServer();

const reviewer = {
  kind: "legal-review",
  name: "Legal Reviewer",
  description: "Checks plans and documents for legal and compliance risks.",
  instructions: "Point out legal risks, cite the relevant area of law, and suggest a safer wording.",
  capabilities: ["legal review", "compliance"],
};
const { kind: _kind, ...reviewerFields } = reviewer;

async function rest(method: string, path: string, authorization: string, body?: unknown) {
  const response = await fetch(`${api.baseURL}${path}`, {
    method,
    headers: { authorization, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- answers are checked field by field
}

async function keyFor(teamId: string, role: "admin" | "user" | "viewer") {
  return `Bearer ${(await createApiKey({ teamId, role, name: role })).key}`;
}

describe("agent versions", () => {
  it("a create writes version 1, each real edit the next version, and a no-op edit none; the history says who and when", async () => {
    const { team, callers } = await createTeamWithMembers();
    const admin = await keyFor(team.id, "admin");
    const created = await rest("POST", "/api/v1/agents", admin, { ...reviewer, tools: ["search_knowledge"], outputFormat: "json" });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ kind: "legal-review", version: 1, tools: ["search_knowledge"], outputFormat: "json" });

    const edited = await updateAgentDefinition(callers.admin, "legal-review", {
      ...reviewerFields,
      instructions: "Point out legal risks under EU law only.",
      tools: ["web_search", "search_knowledge"],
    });
    expect(edited).toMatchObject({ version: 2, changed: true, outputFormat: "markdown", tools: ["search_knowledge", "web_search"] });

    // The same fields again (tools in another order): nothing to version.
    const same = await rest("PUT", "/api/v1/agents/legal-review", admin, {
      ...reviewerFields,
      instructions: "Point out legal risks under EU law only.",
      tools: ["search_knowledge", "web_search"],
    });
    expect(same.status).toBe(200);
    expect(same.json).toMatchObject({ version: 2, changed: false });

    const current = await rest("GET", "/api/v1/agents/legal-review", await keyFor(team.id, "viewer"));
    expect(current.status).toBe(200);
    expect(current.json.agent).toMatchObject({
      kind: "legal-review",
      version: 2,
      builtIn: false,
      instructions: "Point out legal risks under EU law only.",
      versionCreatedBy: { id: callers.admin.userId },
    });

    const history = await rest("GET", "/api/v1/agents/legal-review/versions", await keyFor(team.id, "viewer"));
    expect(history.status).toBe(200);
    const versions = history.json.versions as Array<{ version: number; instructions: string; outputFormat: string; createdBy: unknown }>;
    expect(versions.map((version) => version.version)).toEqual([2, 1]);
    expect(versions[1]).toMatchObject({ instructions: reviewer.instructions, outputFormat: "json", createdBy: null }); // an API key wrote it
    expect(versions[0]).toMatchObject({ createdBy: { id: callers.admin.userId } });
    expect(await getDb().agentDefinitionVersion.count({ where: { teamId: team.id } })).toBe(2);

    // Built-ins are readable and have no versions.
    expect((await getAgentDefinition(callers.viewer, "research")).agent).toMatchObject({ kind: "research", builtIn: true });
    expect(await listAgentVersions(callers.viewer, "research")).toEqual({ versions: [] });
  });

  it("refuses bad input with a 400 naming the field, and only admins edit", async () => {
    const { team, callers } = await createTeamWithMembers();
    await createAgentDefinition(callers.admin, reviewer);
    const admin = await keyFor(team.id, "admin");

    const unknownTool = await rest("PUT", "/api/v1/agents/legal-review", admin, {
      ...reviewerFields,
      tools: ["search_knowledge", "rm_rf"],
    });
    expect(unknownTool.status).toBe(400);
    expect(unknownTool.json.error).toMatchObject({ code: "bad_request", field: "tools" });
    await expect(createAgentDefinition(callers.admin, { ...reviewer, kind: "other", tools: ["shell"] })).rejects.toMatchObject({
      code: "bad_request",
      field: "tools",
    });
    const noName = await rest("PUT", "/api/v1/agents/legal-review", admin, { ...reviewerFields, name: "  " });
    expect(noName.json.error).toMatchObject({ code: "bad_request", field: "name" });
    const longFormat = await rest("PUT", "/api/v1/agents/legal-review", admin, { ...reviewerFields, outputFormat: "x".repeat(2001) });
    expect(longFormat.json.error).toMatchObject({ code: "bad_request", field: "outputFormat" });
    expect((await rest("PUT", "/api/v1/agents/nobody", admin, reviewerFields)).status).toBe(404);
    expect((await rest("PUT", "/api/v1/agents/research", admin, reviewerFields)).status).toBe(404);

    for (const role of ["user", "viewer"] as const) {
      const refused = await rest("PUT", "/api/v1/agents/legal-review", await keyFor(team.id, role), { ...reviewerFields, name: "Hijack" });
      expect(refused.status, role).toBe(403);
      await expect(updateAgentDefinition(callers[role], "legal-review", { ...reviewerFields, name: "Hijack" })).rejects.toMatchObject({
        code: "forbidden",
      });
    }
    expect((await getAgentDefinition(callers.viewer, "legal-review")).agent).toMatchObject({ name: "Legal Reviewer", version: 1 });
  });
});

describe("a task keeps the versions it was planned with", () => {
  it("an edit while the task waits for plan approval changes nothing it runs; the execution records the version; a rerun uses it too", async () => {
    const { callers } = await createTeamWithMembers();
    await createAgentDefinition(callers.admin, reviewer);
    const task = await createTask(callers.user, { prompt: "Review the terms of our referral programme", requireApproval: true });
    await waitForTaskStatus(task.id, ["awaiting_approval"]);
    const planned = (await getTask(callers.user, task.id)).plan as { agentVersions: Record<string, { version: number }> };
    expect(planned.agentVersions["legal-review"]).toMatchObject({ version: 1 });

    // Edited (version 2) after the task was planned, before it runs.
    await updateAgentDefinition(callers.admin, "legal-review", { ...reviewerFields, name: "Contract Checker" });
    const plan = {
      steps: [{ id: "legal", agent: "legal-review", subtask: "Review the referral terms.", dependsOn: [], reason: "legal review" }],
    };
    await approveTask(callers.user, task.id, { plan });
    expect(await waitForTaskStatus(task.id, ["completed", "failed"])).toBe("completed");
    const done = await getTask(callers.user, task.id);
    const execution = done.executions.find((candidate) => candidate.stepId === "legal")!;
    expect(execution).toMatchObject({ status: "completed", agentVersion: 1 });
    expect(JSON.stringify(execution.output)).toMatch(/Legal Reviewer/);
    expect(JSON.stringify(execution.output)).not.toMatch(/Contract Checker/);

    // A rerun of the step runs the version the task recorded, not the current one.
    const rerun = await rerunTask(callers.user, task.id, { fromStep: "legal" });
    await waitForTaskStatus(rerun.id, ["awaiting_approval"]);
    await approveTask(callers.user, rerun.id, {});
    expect(await waitForTaskStatus(rerun.id, ["completed", "failed"])).toBe("completed");
    const rerunExecution = (await getTask(callers.user, rerun.id)).executions.find((candidate) => candidate.stepId === "legal")!;
    expect(rerunExecution).toMatchObject({ agentVersion: 1 });
    expect(JSON.stringify(rerunExecution.output)).toMatch(/Legal Reviewer/);

    // A new task runs the current version.
    const fresh = await tryAndFinish(callers.user, "legal-review", "Review: refunds within 3 days only.");
    const freshExecution = fresh.executions.find((candidate) => candidate.agent === "legal-review")!;
    expect(freshExecution).toMatchObject({ agentVersion: 2 });
    expect(JSON.stringify(freshExecution.output)).toMatch(/Contract Checker/);
  });

  it("a delete while the task waits keeps the version it recorded runnable; the kind can be defined again from version 1", async () => {
    const { callers } = await createTeamWithMembers();
    await createAgentDefinition(callers.admin, reviewer);
    // The planner routes to the team agent on its capability ("legal review").
    const task = await createTask(callers.user, {
      prompt: "Draft a loyalty card programme for a bakery, with a legal review of the terms.",
      requireApproval: true,
    });
    await waitForTaskStatus(task.id, ["awaiting_approval"]);
    await deleteAgentDefinition(callers.admin, "legal-review");
    await approveTask(callers.user, task.id, {});
    expect(await waitForTaskStatus(task.id, ["completed", "failed"])).toBe("completed");
    const execution = (await getTask(callers.user, task.id)).executions.find((candidate) => candidate.agent === "legal-review");
    expect(execution).toMatchObject({ status: "completed", agentVersion: 1 });

    const again = await createAgentDefinition(callers.admin, { ...reviewer, name: "Second Reviewer" });
    expect(again.version).toBe(1);
    expect((await listAgentVersions(callers.viewer, "legal-review")).versions.map((version) => version.name)).toEqual(["Second Reviewer"]);
  });
});

describe("try it", () => {
  it("POST /api/v1/agents/:kind/try runs that agent alone as a one-step task, streamed, without planning", async () => {
    const { team, callers } = await createTeamWithMembers();
    await createAgentDefinition(callers.admin, reviewer);
    const user = await keyFor(team.id, "user");
    const answer = await rest("POST", "/api/v1/agents/legal-review/try", user, { prompt: "Review: we share emails with partners." });
    expect(answer.status).toBe(201);
    const taskId = answer.json.id as string;
    expect(await waitForTaskStatus(taskId, ["completed", "failed"])).toBe("completed");
    const task = await getTask(callers.user, taskId);
    expect(task.prompt).toBe("Review: we share emails with partners.");
    expect(task.plan).toMatchObject({
      source: "try",
      steps: [{ agent: "legal-review", subtask: "Review: we share emails with partners." }],
    });
    expect((task.plan as { steps: unknown[] }).steps).toHaveLength(1);
    expect(task.executions).toHaveLength(1);
    expect(task.executions[0]).toMatchObject({ agent: "legal-review", status: "completed", agentVersion: 1 });
    const events = await readRunEvents(taskId);
    expect(events.some((event) => event.type === "agent.delta")).toBe(true);
    expect(events.filter((event) => event.type === "agent.started")).toHaveLength(1);
    expect((task.result as { markdown: string }).markdown).toMatch(/Legal Reviewer/);

    // Built-ins can be tried too.
    const builtIn = await rest("POST", "/api/v1/agents/analysis/try", user, { prompt: "Compare tea and coffee prices." });
    expect(builtIn.status).toBe(201);
    expect(await waitForTaskStatus(builtIn.json.id as string, ["completed", "failed"])).toBe("completed");
  });

  it("works the same over tRPC: agent.update versions, agent.try runs, bad input names the field", async () => {
    const { team, callers } = await createTeamWithMembers();
    await createAgentDefinition(callers.admin, reviewer);
    const admin = await keyFor(team.id, "admin");
    const trpc = async (path: string, input: unknown) => {
      const response = await fetch(`${api.baseURL}/api/trpc/${path}`, {
        method: "POST",
        headers: { authorization: admin, "content-type": "application/json" },
        body: JSON.stringify(input),
      });
      return { status: response.status, json: (await response.json()) as { result?: { data: any }; error?: { data: any } } }; // eslint-disable-line @typescript-eslint/no-explicit-any -- checked field by field
    };
    const updated = await trpc("agent.update", { kind: "legal-review", ...reviewerFields, outputFormat: "plain" });
    expect(updated.json.result?.data).toMatchObject({ version: 2, changed: true, outputFormat: "plain" });
    const refused = await trpc("agent.update", { kind: "legal-review", ...reviewerFields, tools: ["format_disk"] });
    expect(refused.status).toBe(400);
    expect(refused.json.error?.data).toMatchObject({ code: "BAD_REQUEST", field: "tools" });
    const tried = await trpc("agent.try", { kind: "legal-review", prompt: "Review: no refunds, ever." });
    const taskId = tried.json.result?.data.id as string;
    expect(await waitForTaskStatus(taskId, ["completed", "failed"])).toBe("completed");
    expect((await getTask(callers.user, taskId)).executions[0]).toMatchObject({ agent: "legal-review", agentVersion: 2 });
  });

  it("a stored tool name the catalog no longer has does not stop the agent from running", async () => {
    const { callers } = await createTeamWithMembers();
    await createAgentDefinition(callers.admin, { ...reviewer, tools: ["fetch_url"] });
    // As if a later Chorus had renamed the tool.
    await getDb().agentDefinitionVersion.updateMany({ where: { teamId: callers.admin.teamId }, data: { tools: ["fetch_page"] } });
    await getDb().agentDefinition.updateMany({ where: { teamId: callers.admin.teamId }, data: { tools: ["fetch_page"] } });
    const task = await tryAndFinish(callers.user, "legal-review", "Review: a renamed tool.");
    expect(task.executions[0]).toMatchObject({ agent: "legal-review", status: "completed" });
  });

  it("needs execute permission, a known agent and a prompt", async () => {
    const { team, callers } = await createTeamWithMembers();
    await createAgentDefinition(callers.admin, reviewer);
    const viewer = await rest("POST", "/api/v1/agents/legal-review/try", await keyFor(team.id, "viewer"), { prompt: "hi" });
    expect(viewer.status).toBe(403);
    const user = await keyFor(team.id, "user");
    expect((await rest("POST", "/api/v1/agents/nobody/try", user, { prompt: "hi" })).json.error).toMatchObject({
      code: "not_found",
      field: "kind",
    });
    expect((await rest("POST", "/api/v1/agents/legal-review/try", user, { prompt: " " })).json.error).toMatchObject({
      code: "bad_request",
      field: "prompt",
    });
    expect(await getDb().task.count({ where: { teamId: team.id } })).toBe(0);
  });
});

/** Tries an agent and waits until the task is finished; returns its view. */
async function tryAndFinish(caller: Parameters<typeof getTask>[0], kind: string, prompt: string) {
  const task = await tryAgent(caller, kind, { prompt });
  expect(await waitForTaskStatus(task.id, ["completed", "failed"])).toBe("completed");
  return getTask(caller, task.id);
}
