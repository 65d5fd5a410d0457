import { describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { pruneOldRows } from "@/server/retention/prune-old-rows";
import { createTask } from "@/server/tasks/tasks";
import type { TeamStorageView } from "@/server/teams/team-storage";
import { useApiServer } from "../support/api-server";
import { createTeamWithMembers, THREE_AGENT_PROMPT, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";

/** GET /api/v1/team/storage: the team's rows and bytes per table, the database's size, retention and the last prune. */

useEmbeddedExecutor();
const api = useApiServer();

async function storage(authorization: string): Promise<{ status: number; body: TeamStorageView }> {
  const response = await fetch(`${api.baseURL}/api/v1/team/storage`, { headers: { authorization } });
  return { status: response.status, body: (await response.json()) as TeamStorageView };
}

const table = (view: TeamStorageView, name: string) => view.tables.find((entry) => entry.table === name)!;

describe("the team's storage", () => {
  it("counts only the team's own rows, sums them, and shows retention and the last prune", async () => {
    process.env.CHORUS_RUN_EVENT_RETENTION_DAYS = "12";
    const busy = await createTeamWithMembers();
    const quiet = await createTeamWithMembers();
    const tasks = [
      await createTask(busy.callers.user, { prompt: THREE_AGENT_PROMPT }),
      await createTask(busy.callers.user, { prompt: "Tea." }),
    ];
    for (const task of tasks) await waitForTaskStatus(task.id, ["completed"]);
    await pruneOldRows();
    const busyKey = `Bearer ${(await createApiKey({ teamId: busy.team.id, role: "admin", name: "storage" })).key}`;
    const quietKey = `Bearer ${(await createApiKey({ teamId: quiet.team.id, role: "admin", name: "storage" })).key}`;

    const mine = await storage(busyKey);
    expect(mine.status).toBe(200);
    expect(table(mine.body, "Task").rows).toBe(2);
    expect(table(mine.body, "AgentExecution").rows).toBeGreaterThanOrEqual(4);
    expect(table(mine.body, "RunEvent").rows).toBeGreaterThan(5);
    expect(table(mine.body, "RunEvent").bytes).toBeGreaterThan(0);
    expect(mine.body.teamBytes).toBe(mine.body.tables.reduce((sum, entry) => sum + entry.bytes, 0));
    expect(mine.body.databaseBytes).toBeGreaterThan(mine.body.teamBytes);
    expect(table(mine.body, "RunEvent").tableBytes).toBeGreaterThanOrEqual(table(mine.body, "RunEvent").bytes);
    expect(mine.body.retention).toMatchObject({ runEventDays: 12, workflowStateDays: 7, webhookDeliveryDays: 30 });
    expect(mine.body.lastPrune).toMatchObject({ pruned: { runEvents: 0 } });

    const theirs = await storage(quietKey);
    expect(theirs.status).toBe(200);
    expect(theirs.body.tables.every((entry) => entry.rows === 0 && entry.bytes === 0)).toBe(true);
    expect(theirs.body.teamBytes).toBe(0);

    // Measured once a minute: another task does not show until then.
    const more = await createTask(busy.callers.user, { prompt: "Moss." });
    await waitForTaskStatus(more.id, ["completed"]);
    const again = await storage(busyKey);
    expect(again.body.measuredAt).toBe(mine.body.measuredAt);
    expect(table(again.body, "Task").rows).toBe(2);
    delete process.env.CHORUS_RUN_EVENT_RETENTION_DAYS;
  });

  it("is for admins only", async () => {
    const { team } = await createTeamWithMembers();
    for (const role of ["user", "viewer"] as const) {
      const key = `Bearer ${(await createApiKey({ teamId: team.id, role, name: role })).key}`;
      expect((await storage(key)).status).toBe(403);
    }
  });
});
