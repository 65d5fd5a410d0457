import { describe, expect, it } from "vitest";
import { createKnowledgeDocument } from "@/server/knowledge/documents";
import { OFFLINE_NOTICE, OFFLINE_NOTICE_FROM_STEPS, OFFLINE_NOTICE_WITH_TOOLS } from "@/server/llm/offline-writer";
import { createTask, getTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";

/**
 * The offline model's closing notice says what a text was written from, through a whole task:
 * research quoting the team's documents says so, and the result built on it does not claim it
 * was written "from the task text alone".
 */
useEmbeddedExecutor();

async function run(withDocument: boolean) {
  const { callers } = await createTeamWithMembers();
  if (withDocument) {
    await createKnowledgeDocument(callers.user, {
      json: {
        title: "Community gardens and food costs",
        text: "Community gardens reduce food costs: a plot of ten square metres grows vegetables worth about 300 euros a season.",
      },
    });
  }
  const task = await createTask(callers.user, { prompt: "Research how community gardens reduce food costs, then analyse and summarise." });
  expect(await waitForTaskStatus(task.id, ["completed", "failed", "cancelled"])).toBe("completed");
  const view = await getTask(callers.user, task.id);
  const research = view.executions.find((execution) => execution.agent === "research")!;
  return {
    research: String((research.output as { text: string }).text),
    result: String((view.result as { markdown?: string } | null)?.markdown ?? ""),
  };
}

describe("the offline model's notice in a task", () => {
  it("says the result builds on the team's documents when research quoted them", async () => {
    const { research, result } = await run(true);
    expect(research).toContain(OFFLINE_NOTICE_WITH_TOOLS);
    expect(result).toContain(OFFLINE_NOTICE_FROM_STEPS);
    expect(result).not.toContain(OFFLINE_NOTICE);
  });

  it("says it was written from the task alone when nothing was found", async () => {
    const { research, result } = await run(false);
    expect(research).not.toContain(OFFLINE_NOTICE_WITH_TOOLS);
    expect(result).toContain(OFFLINE_NOTICE);
  });
});
