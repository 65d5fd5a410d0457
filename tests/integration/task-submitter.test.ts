import { describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { describeTaskSubmitter } from "@/server/tasks/task-submitter";
import { createTeamWithMembers } from "../support/fixtures";

/** The task page's "Submitted by": a member, an API key, or nobody known — and only in the caller's team. */
describe("who submitted a task", () => {
  it("names the member, by name and email, or by email alone", async () => {
    const { team, callers } = await createTeamWithMembers();
    const db = getDb();
    const byEmail = await db.task.create({ data: { teamId: team.id, createdById: callers.user.userId, prompt: "p" } });
    expect(await describeTaskSubmitter(callers.viewer, byEmail.id)).toMatch(/^user-[0-9a-f]+@test\.dev$/);

    await db.user.update({ where: { id: callers.admin.userId! }, data: { name: "Ada Admin" } });
    const byName = await db.task.create({ data: { teamId: team.id, createdById: callers.admin.userId, prompt: "p" } });
    expect(await describeTaskSubmitter(callers.viewer, byName.id)).toMatch(/^Ada Admin \(admin-[0-9a-f]+@test\.dev\)$/);
  });

  it("names the API key by its name and prefix, never more of it", async () => {
    const { team, callers } = await createTeamWithMembers();
    const db = getDb();
    const key = await db.apiKey.create({
      data: { teamId: team.id, name: "CI bot", prefix: "chorus_ab12", hash: `hash-${team.id}`, role: "user" },
    });
    const task = await db.task.create({ data: { teamId: team.id, apiKeyId: key.id, prompt: "p" } });
    expect(await describeTaskSubmitter(callers.viewer, task.id)).toBe("API key “CI bot” (chorus_ab12…)");

    const orphan = await db.task.create({ data: { teamId: team.id, prompt: "p" } });
    expect(await describeTaskSubmitter(callers.viewer, orphan.id)).toBeNull();
  });

  it("answers not found for another team's task, or an id that is no task id", async () => {
    const mine = await createTeamWithMembers();
    const theirs = await createTeamWithMembers();
    const task = await getDb().task.create({ data: { teamId: theirs.team.id, createdById: theirs.callers.user.userId, prompt: "p" } });
    await expect(describeTaskSubmitter(mine.callers.admin, task.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(describeTaskSubmitter(mine.callers.admin, "../x")).rejects.toBeInstanceOf(AppError);
  });
});
