import { describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { createTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { useOpenAiWireServer } from "../support/openai-wire-server";

/**
 * A model call that fails after streaming part of its answer (here the provider drops the
 * connection after the first piece) leaves that part on the failed attempt's execution, marked
 * partial — as a cancelled attempt does — so members can see how far it got.
 */
let dropped = 0;
const wire = useOpenAiWireServer({
  pieces: ["# Partial finding\n\n", "- never sent.\n"],
  respond: (request) => {
    const system = request.messages.find((message) => message.role === "system")?.content ?? "";
    if (request.stream && /research agent/i.test(system) && dropped++ === 0) return { dropAfterPieces: 1 };
    return undefined;
  },
});
useEmbeddedExecutor(8);

describe("a failed attempt's output", () => {
  it("keeps what streamed before the failure as partial output", async () => {
    const { callers, team } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "Research rainwater tanks." });
    await waitForTaskStatus(task.id, ["completed", "failed"], 45_000);
    expect(wire.requests.length).toBeGreaterThan(0);
    const research = await getDb().agentExecution.findMany({
      where: { taskId: task.id, teamId: team.id, agentKind: "research" },
      orderBy: { attempt: "asc" },
    });
    expect(research[0]).toMatchObject({ attempt: 1, status: "failed", output: { text: "# Partial finding\n\n", partial: true } });
  });
});
