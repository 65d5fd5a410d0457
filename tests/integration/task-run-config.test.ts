import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbeddedExecutor } from "@/inngest/executor";
import { inngest } from "@/inngest/client";
import { taskFinished } from "@/inngest/events";
import { functions } from "@/inngest/functions";
import { getDb, getPool } from "@/server/db/client";
import { logger } from "@/server/observability/logger";
import { cancelTask } from "@/server/tasks/task-actions";
import { createTask, getTask } from "@/server/tasks/tasks";
import { createAgentDefinition, updateAgentDefinition } from "@/server/teams/agent-definitions";
import { createModelProvider, updateModelRouting } from "@/server/teams/model-providers";
import { newRowId } from "@/server/db/row-id";
import { failTask } from "@/server/orchestration/task-lifecycle";
import { endTaskOverBudget } from "@/server/orchestration/task-over-budget";
import { createTeamWithMembers, THREE_AGENT_PROMPT, waitForTaskStatus } from "../support/fixtures";
import { startOpenAiWireServer } from "../support/openai-wire-server";

/**
 * Tasks that carry an experiment's configuration (Task.runConfig, createTask's third argument):
 * their own models win over the team's routing, pinned custom-agent versions run, `tools: false`
 * offers no tools, a pre-made id makes creation idempotent, and every finished task — completed,
 * cancelled or failed — sends `chorus/task.finished` (seen here by a probe function run by the
 * same embedded executor as Chorus's own functions).
 */
const finishedEvents: Array<{ taskId: string; teamId: string; status: string }> = [];
// Its side effect is a step, as a real consumer's would be: it runs once per run.
const probe = inngest.createFunction({ id: "test-task-finished-probe", triggers: [taskFinished] }, async ({ event, step }) => {
  await step.run("record", () => {
    finishedEvents.push(event.data);
  });
});

let executor: ReturnType<typeof createEmbeddedExecutor> | undefined;
let teamServer: Awaited<ReturnType<typeof startOpenAiWireServer>>;
let experimentServer: Awaited<ReturnType<typeof startOpenAiWireServer>>;
let refusingServer: Awaited<ReturnType<typeof startOpenAiWireServer>>;

beforeAll(async () => {
  process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS ??= "0";
  executor = createEmbeddedExecutor({ pool: getPool(), client: inngest, functions: [...functions, probe], concurrency: 16, logger });
  executor.start();
  [teamServer, experimentServer, refusingServer] = await Promise.all([
    startOpenAiWireServer({ model: "team-model" }),
    startOpenAiWireServer({ model: "experiment-model" }),
    startOpenAiWireServer({ model: "refusing-model", respond: () => ({ status: 401, message: "Incorrect API key provided" }) }),
  ]);
});
afterAll(async () => {
  await executor?.stop();
  await Promise.all([teamServer?.close(), experimentServer?.close(), refusingServer?.close()]);
});

async function waitForFinishedEvent(taskId: string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = finishedEvents.filter((event) => event.taskId === taskId);
    if (found.length > 0) return found;
    if (Date.now() > deadline) throw new Error(`no chorus/task.finished for ${taskId}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const reviewer = {
  kind: "legal-review",
  name: "Legal Reviewer",
  description: "Checks plans and documents for legal and compliance risks.",
  instructions: "Point out legal risks, cite the relevant area of law, and suggest a safer wording.",
  capabilities: ["legal review", "compliance"],
};

describe("a task's own models", () => {
  it("win over the team's routing for the targets they name, while the team's other tasks keep the team's models", async () => {
    const { team, callers } = await createTeamWithMembers();
    const teamProvider = await createModelProvider(callers.admin, {
      name: "team",
      kind: "openai-compatible",
      baseUrl: teamServer.baseURL,
      apiKey: "sk-team-key-1",
    });
    const experimentProvider = await createModelProvider(callers.admin, {
      name: "experiment",
      kind: "openai-compatible",
      baseUrl: experimentServer.baseURL,
      apiKey: "sk-experiment-key-2",
    });
    await updateModelRouting(callers.admin, { default: [{ providerId: teamProvider.id, model: "team-model" }] });

    const configured = await createTask(
      callers.user,
      { prompt: THREE_AGENT_PROMPT, cache: false },
      {
        runConfig: {
          models: {
            planner: [{ providerId: experimentProvider.id, model: "experiment-model" }],
            agents: { research: [{ providerId: experimentProvider.id, model: "experiment-model" }] },
          },
        },
      },
    );
    const ordinary = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT, cache: false });
    expect(await waitForTaskStatus(configured.id, ["completed", "failed"])).toBe("completed");
    expect(await waitForTaskStatus(ordinary.id, ["completed", "failed"])).toBe("completed");

    const stored = await getDb().task.findUniqueOrThrow({ where: { id: configured.id }, select: { runConfig: true, teamId: true } });
    expect(stored).toMatchObject({ teamId: team.id, runConfig: { models: { planner: [{ model: "experiment-model" }] } } });
    const calls = async (taskId: string) =>
      (await getDb().modelCall.findMany({ where: { taskId } })).map((call) => `${call.role}:${call.agentKind ?? "-"}:${call.modelId}`);
    const configuredCalls = await calls(configured.id);
    expect(configuredCalls).toContain("planner:-:experiment-model");
    expect(configuredCalls.filter((call) => call.startsWith("agent:research:")).every((call) => call.endsWith("experiment-model"))).toBe(
      true,
    );
    expect(configuredCalls.some((call) => call.startsWith("agent:research:"))).toBe(true);
    // Targets the task does not name fall back to the team's routing.
    expect(configuredCalls.some((call) => call.startsWith("agent:analysis:") && call.endsWith("team-model"))).toBe(true);
    const ordinaryCalls = await calls(ordinary.id);
    expect(ordinaryCalls.length).toBeGreaterThanOrEqual(4);
    expect(ordinaryCalls.every((call) => call.endsWith(":team-model"))).toBe(true);
  });

  it("refuses a provider or agent kind the team does not have, naming the field, and stores no task", async () => {
    const { team, callers } = await createTeamWithMembers();
    await expect(
      createTask(
        callers.user,
        { prompt: "Anything" },
        { runConfig: { models: { planner: [{ providerId: "cnotateamprovider", model: "m" }] } } },
      ),
    ).rejects.toMatchObject({ code: "bad_request", field: "config.models.planner.0.providerId" });
    await expect(createTask(callers.user, { prompt: "Anything" }, { runConfig: { tools: "no" } as never })).rejects.toMatchObject({
      code: "bad_request",
      field: "config.tools",
    });
    expect(await getDb().task.count({ where: { teamId: team.id } })).toBe(0);
  });
});

describe("pinned agent versions", () => {
  it("run the pinned version (the execution records it) while the team's current version is newer", async () => {
    const { callers } = await createTeamWithMembers();
    await createAgentDefinition(callers.admin, reviewer);
    const { kind: _kind, ...fields } = reviewer;
    await updateAgentDefinition(callers.admin, "legal-review", { ...fields, name: "Contract Checker" });

    // The planner routes to the team agent on its capability ("legal review").
    const prompt = "Draft a loyalty card programme for a bakery, with a legal review of the terms.";
    const pinned = await createTask(callers.user, { prompt }, { runConfig: { agentVersions: { "legal-review": 1 } } });
    const current = await createTask(callers.user, { prompt });
    expect(await waitForTaskStatus(pinned.id, ["completed", "failed"])).toBe("completed");
    expect(await waitForTaskStatus(current.id, ["completed", "failed"])).toBe("completed");

    const reviews = async (taskId: string) =>
      (await getTask(callers.user, taskId)).executions.filter((execution) => execution.agent === "legal-review");
    const [pinnedReview] = await reviews(pinned.id);
    const [currentReview] = await reviews(current.id);
    expect(pinnedReview).toMatchObject({ status: "completed", agentVersion: 1 });
    expect(JSON.stringify(pinnedReview!.output)).toMatch(/Legal Reviewer/);
    expect(currentReview).toMatchObject({ status: "completed", agentVersion: 2 });
    expect(JSON.stringify(currentReview!.output)).toMatch(/Contract Checker/);
    const plan = (await getTask(callers.user, pinned.id)).plan as { agentVersions: Record<string, { version: number }> };
    expect(plan.agentVersions["legal-review"]).toMatchObject({ version: 1 });
  });

  it("refuse a version or kind the team does not have with a 400 naming config.agentVersions.<kind>", async () => {
    const { team, callers } = await createTeamWithMembers();
    await createAgentDefinition(callers.admin, reviewer);
    await expect(
      createTask(callers.user, { prompt: "Review it" }, { runConfig: { agentVersions: { "legal-review": 7 } } }),
    ).rejects.toMatchObject({ code: "bad_request", field: "config.agentVersions.legal-review" });
    await expect(createTask(callers.user, { prompt: "Review it" }, { runConfig: { agentVersions: { nobody: 1 } } })).rejects.toMatchObject({
      code: "bad_request",
      field: "config.agentVersions.nobody",
    });
    expect(await getDb().task.count({ where: { teamId: team.id } })).toBe(0);
  });
});

describe("tools: false", () => {
  it("offers the task's agents no tools, where an ordinary task's research agent searches the knowledge base", async () => {
    const { callers } = await createTeamWithMembers();
    const withoutTools = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT, cache: false }, { runConfig: { tools: false } });
    const ordinary = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT, cache: false });
    expect(await waitForTaskStatus(withoutTools.id, ["completed", "failed"])).toBe("completed");
    expect(await waitForTaskStatus(ordinary.id, ["completed", "failed"])).toBe("completed");
    const toolCalls = (taskId: string) => getDb().toolCall.findMany({ where: { taskId } });
    expect((await toolCalls(ordinary.id)).map((call) => call.tool)).toContain("search_knowledge");
    expect(await toolCalls(withoutTools.id)).toEqual([]);
    expect((await getTask(callers.user, withoutTools.id)).result).toBeTruthy();
  });
});

describe("a pre-made task id", () => {
  it("makes createTask idempotent: the same id twice is one task, run once", async () => {
    const { team, callers } = await createTeamWithMembers();
    const id = newRowId();
    const [first, second] = await Promise.all([
      createTask(callers.user, { prompt: THREE_AGENT_PROMPT }, { id }),
      createTask(callers.user, { prompt: THREE_AGENT_PROMPT }, { id }),
    ]);
    expect(first.id).toBe(id);
    expect(second.id).toBe(id);
    expect(await waitForTaskStatus(id, ["completed", "failed"])).toBe("completed");
    const third = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT }, { id });
    expect(third).toMatchObject({ id, status: "completed" });
    expect(await getDb().task.count({ where: { teamId: team.id } })).toBe(1);
    // One coordinator ran it: each plan step has one execution.
    const executions = await getDb().agentExecution.findMany({ where: { taskId: id } });
    expect(new Set(executions.map((execution) => execution.stepKey)).size).toBe(executions.length);
    expect(await getDb().auditEvent.count({ where: { teamId: team.id, action: "task.created" } })).toBe(1);

    // Another team's caller cannot reach it through the id.
    const other = await createTeamWithMembers();
    await expect(createTask(other.callers.user, { prompt: "Hijack" }, { id })).rejects.toMatchObject({ code: "conflict" });
  });
});

describe("chorus/task.finished", () => {
  it("arrives once for a completed, a cancelled and a failed task, with its team and status", async () => {
    const { team, callers } = await createTeamWithMembers();
    const refusing = await createModelProvider(callers.admin, {
      name: "refusing",
      kind: "openai-compatible",
      baseUrl: refusingServer.baseURL,
      apiKey: "sk-refused-key-3",
    });

    const completed = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT });
    const cancelled = await createTask(callers.user, { prompt: THREE_AGENT_PROMPT, requireApproval: true });
    const failed = await createTask(
      callers.user,
      { prompt: THREE_AGENT_PROMPT, cache: false },
      { runConfig: { models: { default: [{ providerId: refusing.id, model: "refusing-model" }] } } },
    );
    await waitForTaskStatus(cancelled.id, ["awaiting_approval"]);
    await cancelTask(callers.user, cancelled.id);

    expect(await waitForTaskStatus(completed.id, ["completed", "failed"])).toBe("completed");
    expect(await waitForTaskStatus(failed.id, ["completed", "failed"])).toBe("failed");
    expect(await waitForFinishedEvent(completed.id)).toEqual([{ taskId: completed.id, teamId: team.id, status: "completed" }]);
    expect(await waitForFinishedEvent(cancelled.id)).toEqual([{ taskId: cancelled.id, teamId: team.id, status: "cancelled" }]);
    expect(await waitForFinishedEvent(failed.id)).toEqual([{ taskId: failed.id, teamId: team.id, status: "failed" }]);

    // A finishing step that runs again (a crash between its write and its send) sends the event
    // again, with the task's real status; its id makes it start nothing twice.
    expect(await endTaskOverBudget(completed.id, "late")).toEqual({ status: "unchanged" });
    expect(await failTask(cancelled.id, "late")).toEqual({ status: "unchanged" });
    await executor!.idle();
    expect(finishedEvents.filter((event) => event.taskId === completed.id)).toHaveLength(1);
    expect(finishedEvents.filter((event) => event.taskId === cancelled.id)).toHaveLength(1);
    expect(await getDb().task.findUniqueOrThrow({ where: { id: completed.id }, select: { status: true } })).toEqual({
      status: "completed",
    });
  });
});
