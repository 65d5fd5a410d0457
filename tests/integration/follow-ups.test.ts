import { describe, expect, it } from "vitest";
import { readRunEvents } from "@/server/db/queries/run-events";
import { createTask, getTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { useOpenAiWireServer, type ChatRequest } from "../support/openai-wire-server";

/**
 * An agent asks the coordinator for another agent's help through the `request_help` tool (a
 * real tool call over the OpenAI wire format): the plan grows a follow-up step after it, and
 * the steps that build on it wait for the follow-up's output.
 */
const isAnalysis = (request: ChatRequest) =>
  /analysis agent/i.test(request.messages.find((message) => message.role === "system")?.content ?? "");
const model = useOpenAiWireServer({
  respond: (request) => {
    const answeredTool = request.messages.some((message) => message.role === "tool");
    if (
      request.stream &&
      isAnalysis(request) &&
      !answeredTool &&
      request.messages.some((message) => message.content?.includes("rain barrels"))
    ) {
      return {
        toolCall: {
          name: "request_help",
          arguments: {
            agent: "research",
            subtask: "Find current prices of 200-litre rain barrels.",
            reason: "The research has no prices.",
          },
        },
      };
    }
    return undefined;
  },
});
useEmbeddedExecutor(8);

describe("agents asking for help", () => {
  it("adds a follow-up step after the asking step and before the steps that build on it", async () => {
    const { callers } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "Research and analyse rain barrels for a small garden." });
    await waitForTaskStatus(task.id, ["completed", "failed"], 30_000);
    const done = await getTask(callers.user, task.id);
    expect(done.status).toBe("completed");

    const steps = (done.plan as { steps: Array<{ id: string; agent: string; dependsOn: string[]; requestedBy?: string; subtask: string }> })
      .steps;
    const followUp = steps.find((step) => step.requestedBy === "analysis");
    expect(followUp).toMatchObject({
      agent: "research",
      dependsOn: ["analysis"],
      subtask: "Find current prices of 200-litre rain barrels.",
    });
    expect(steps.find((step) => step.id === "synthesis")!.dependsOn).toContain(followUp!.id);
    expect(done.executions.map((execution) => execution.stepId)).toEqual(["research", "analysis", followUp!.id, "synthesis"]);

    const events = await readRunEvents(task.id);
    expect(events.some((event) => event.type === "task.replanned")).toBe(true);
    const followUpStart = events.findIndex((event) => event.type === "agent.started" && event.payload.stepId === followUp!.id);
    const synthesisStart = events.findIndex((event) => event.type === "agent.started" && event.payload.stepId === "synthesis");
    expect(followUpStart).toBeGreaterThan(-1);
    expect(synthesisStart).toBeGreaterThan(followUpStart);

    // The follow-up itself was not offered the tool (bounded depth); the analysis step was.
    const followUpRequest = model.requests.find(
      (request) =>
        request.messages.some((message) => message.content?.includes("200-litre rain barrels")) && !isAnalysis(request) && request.stream,
    );
    expect(followUpRequest?.tools?.map((entry) => entry.function.name) ?? []).not.toContain("request_help");
    expect(model.requests.find((request) => isAnalysis(request))?.tools?.map((entry) => entry.function.name)).toContain("request_help");
  });
});
