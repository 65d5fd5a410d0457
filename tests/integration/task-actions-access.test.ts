import { beforeAll, describe, expect, it } from "vitest";
import { getPool } from "@/server/db/client";
import type { Caller } from "@/server/auth/caller";
import { createTask, getTask } from "@/server/tasks/tasks";
import { approveTask, cancelTask, rejectTask, rerunTask } from "@/server/tasks/task-actions";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";

useEmbeddedExecutor();

/**
 * The team and role checks of the task actions: a member of another team is told the task does
 * not exist (the same answer as for an id nobody has), a viewer is refused, and neither leaves
 * a trace — no status change, no decision, no rerun task, no execution, no run event.
 */

/** Everything an action could change, in this file's own database. */
async function snapshot() {
  const pool = getPool();
  const tasks = (await pool.query(`SELECT * FROM "Task" ORDER BY id`)).rows;
  const executions = (await pool.query(`SELECT * FROM "AgentExecution" ORDER BY id`)).rows;
  const events = (
    await pool.query(`SELECT "taskId", count(*)::int AS n, max(seq) AS last FROM "RunEvent" GROUP BY "taskId" ORDER BY "taskId"`)
  ).rows;
  return { tasks, executions, events };
}

type Action = (caller: Caller) => Promise<unknown>;

let team: Awaited<ReturnType<typeof createTeamWithMembers>>;
let other: Awaited<ReturnType<typeof createTeamWithMembers>>;
let waiting: string;
let completed: string;
let step: string;
let actions: Record<string, Action>;

beforeAll(async () => {
  team = await createTeamWithMembers();
  other = await createTeamWithMembers();
  const [gated, plain] = await Promise.all([
    createTask(team.callers.user, { prompt: "Plan a neighbourhood clean-up day", requireApproval: true }),
    createTask(team.callers.user, { prompt: "Summarise the main kinds of tea." }),
  ]);
  waiting = gated.id;
  completed = plain.id;
  await Promise.all([waitForTaskStatus(waiting, ["awaiting_approval"]), waitForTaskStatus(completed, ["completed"])]);
  step = (await getTask(team.callers.user, completed)).executions[0]!.stepId;
  // Each action on a task in a state where the task's own team could perform it.
  actions = {
    approve: (caller) => approveTask(caller, waiting, {}),
    "approve with a plan": (caller) =>
      approveTask(caller, waiting, { plan: { steps: [{ id: "x", agent: "research", subtask: "x", dependsOn: [], reason: "x" }] } }),
    reject: (caller) => rejectTask(caller, waiting, { reason: "no" }),
    "cancel (awaiting approval)": (caller) => cancelTask(caller, waiting),
    "cancel (completed)": (caller) => cancelTask(caller, completed),
    rerun: (caller) => rerunTask(caller, completed, { fromStep: step }),
    "rerun with a new instruction": (caller) => rerunTask(caller, completed, { fromStep: step, input: "Only green tea." }),
  };
});

describe("task actions across teams and roles", () => {
  it("another team's members get not_found, the same answer as for a task that does not exist, and nothing changes", async () => {
    const before = await snapshot();
    const missing = "c" + "0".repeat(24);
    for (const [name, act] of Object.entries(actions)) {
      for (const caller of [other.callers.user, other.callers.admin]) {
        const error = await act(caller).then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error, `${name} by another team's ${caller.role}`).toMatchObject({
          name: "AppError",
          code: "not_found",
          field: "id",
          message: "Task not found",
        });
      }
    }
    // An id no team has gets the very same error: nothing tells the two apart.
    await expect(cancelTask(other.callers.user, missing)).rejects.toMatchObject({
      code: "not_found",
      field: "id",
      message: "Task not found",
    });
    await expect(rerunTask(other.callers.user, missing, { fromStep: step })).rejects.toMatchObject({
      code: "not_found",
      field: "id",
      message: "Task not found",
    });
    expect(await snapshot()).toEqual(before);
  });

  it("a viewer of the task's own team is forbidden every action, and nothing changes", async () => {
    const before = await snapshot();
    for (const [name, act] of Object.entries(actions)) {
      await expect(act(team.callers.viewer), name).rejects.toMatchObject({
        name: "AppError",
        code: "forbidden",
        message: expect.stringMatching(/viewer/),
      });
      // Another team's viewer is refused on the role before the task is looked up: the same answer, whatever the id.
      await expect(act(other.callers.viewer), `${name} by another team's viewer`).rejects.toMatchObject({ code: "forbidden" });
    }
    expect(await snapshot()).toEqual(before);
  });

  it("the same actions still work for the task's own team afterwards (the refusals were not about state)", async () => {
    const rerun = await rerunTask(team.callers.user, completed, { fromStep: step });
    expect(rerun).toMatchObject({ parentTaskId: completed, rerunFromStep: step });
    const rejected = await rejectTask(team.callers.admin, waiting, {});
    expect(rejected).toMatchObject({ status: "cancelled", error: "Plan rejected" });
    await waitForTaskStatus(rerun.id, ["completed"]);
  });
});
