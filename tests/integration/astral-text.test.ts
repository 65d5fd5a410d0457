import { describe, expect, it } from "vitest";
import { readRunEvents } from "@/server/db/queries/run-events";
import { createTask, getTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";

useEmbeddedExecutor();

/**
 * Characters outside the Basic Multilingual Plane (emoji, many CJK ideographs) are two UTF-16
 * units in JavaScript. Text cut inside such a pair is not storable; a task with them must still be
 * stored, planned and run, and a lone surrogate sent as input is a 400, not a 500.
 */
describe("text with characters outside the Basic Multilingual Plane", () => {
  it("a prompt whose 200th unit starts an emoji is stored with its created event", async () => {
    const { callers } = await createTeamWithMembers();
    const prompt = `${"a".repeat(199)}😀 and more`;
    const created = await createTask(callers.user, { prompt });
    expect(created.prompt).toBe(prompt);
    const [event] = await readRunEvents(created.id);
    expect(event).toMatchObject({ type: "task.created", payload: { prompt: "a".repeat(199) } });
    await waitForTaskStatus(created.id, ["completed", "failed"]);
  });

  it("a prompt of long emoji runs is planned, run and completed", async () => {
    const { callers } = await createTeamWithMembers();
    const prompt = `Compare ${"🚀".repeat(400)} and ${"𝔘𝔫𝔦𝔠𝔬𝔡𝔢".repeat(60)} for a small team`;
    const created = await createTask(callers.user, { prompt });
    expect(await waitForTaskStatus(created.id, ["completed", "failed"])).toBe("completed");
    const task = await getTask(callers.user, created.id);
    expect(JSON.stringify(task)).not.toMatch(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i);
  });

  it("a lone surrogate anywhere in the input is a 400 naming the field", async () => {
    const { callers } = await createTeamWithMembers();
    await expect(createTask(callers.user, { prompt: "half an emoji: \ud83d" })).rejects.toMatchObject({
      code: "bad_request",
      field: "prompt",
    });
    await expect(createTask(callers.user, { prompt: "\udc00 starts wrong" })).rejects.toMatchObject({
      code: "bad_request",
      field: "prompt",
    });
  });
});
