import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, getPool } from "@/server/db/client";
import { readRunEvents } from "@/server/db/queries/run-events";
import { cancelTask } from "@/server/tasks/task-actions";
import { createTask, getTask } from "@/server/tasks/tasks";
import { approveToolCall, denyToolCall } from "@/server/tasks/tool-call-decisions";
import { updateToolApprovalSettings } from "@/server/teams/tool-approvals";
import { updateFetchPolicy } from "@/server/web/fetch-policy";
import { createTeamWithMembers, waitForTaskStatus } from "../support/fixtures";
import { until } from "../support/executor-helpers";
import { useOpenAiWireServer, type ChatRequest } from "../support/openai-wire-server";

/**
 * Tool calls that need a person's approval: the agent step parks durably (its execution in
 * awaiting_tool_approval, the call in awaiting_approval), survives the executor being stopped and
 * a new one started, and carries on once a member approves (with edited input), denies, or cancels.
 */

let pageServer: Server;
let baseUrl = "";
const fetched: string[] = [];

beforeAll(async () => {
  pageServer = createServer((request, response) => {
    fetched.push(request.url ?? "");
    response.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    response.end(`Page ${request.url}: tariffs are published every January.`);
  });
  await new Promise<void>((resolve) => pageServer.listen(0, "127.0.0.3", resolve));
  baseUrl = `http://127.0.0.3:${(pageServer.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => pageServer.close(resolve)));

const isResearch = (request: ChatRequest) =>
  request.stream === true && /research agent/i.test(request.messages.find((message) => message.role === "system")?.content ?? "");

const model = useOpenAiWireServer({
  respond: (request) => {
    if (!isResearch(request) || request.messages.some((message) => message.role === "tool")) return undefined;
    const topic = /topic:(\w+)/.exec(request.messages.map((message) => message.content).join(" "))?.[1] ?? "none";
    return { toolCall: { name: "fetch_url", arguments: { url: `${baseUrl}/${topic}` } } };
  },
});

let stopExecutor: (() => Promise<void>) | undefined;
async function startExecutor() {
  process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS ??= "0";
  const { startExecutor: start } = await import("@/server/runtime/executor");
  stopExecutor = await start({ pool: getPool(), concurrency: 8 });
}
beforeAll(startExecutor);
afterAll(async () => stopExecutor?.());

async function teamWithApprovals() {
  const { callers } = await createTeamWithMembers();
  await updateFetchPolicy(callers.admin, { allow: ["127.0.0.3"], deny: [] });
  await updateToolApprovalSettings(callers.admin, { tools: ["fetch_url"] });
  return callers;
}

async function parkedCall(taskId: string) {
  return until(
    async () => (await getDb().toolCall.findFirst({ where: { taskId, status: "awaiting_approval" } })) ?? undefined,
    20_000,
    "a tool call waiting for approval",
  );
}

describe("tool calls that need approval", () => {
  it("wait durably — across an executor restart — and run with the input a member approved", async () => {
    const callers = await teamWithApprovals();
    const task = await createTask(callers.user, { prompt: "Research port tariffs. topic:tariffs" });
    const call = await parkedCall(task.id);
    expect(call).toMatchObject({ tool: "fetch_url", input: { url: `${baseUrl}/tariffs` } });
    const execution = await getDb().agentExecution.findUniqueOrThrow({ where: { id: call.executionId } });
    expect(execution.status).toBe("awaiting_tool_approval");
    expect((await getTask(callers.viewer, task.id)).status).toBe("running");
    expect(fetched).not.toContain("/tariffs");

    await stopExecutor?.();
    await startExecutor();

    await expect(approveToolCall(callers.viewer, task.id, call.callId, {})).rejects.toMatchObject({ code: "forbidden" });
    await expect(approveToolCall(callers.user, task.id, call.callId, { input: { url: 42 } })).rejects.toMatchObject({
      code: "bad_request",
      field: "input.url",
    });
    await approveToolCall(callers.user, task.id, call.callId, { input: { url: `${baseUrl}/tariffs-2026` } });
    await expect(denyToolCall(callers.admin, task.id, call.callId, {})).rejects.toMatchObject({ code: "not_found" });

    expect(await waitForTaskStatus(task.id, ["completed", "failed"], 30_000)).toBe("completed");
    expect(fetched).toContain("/tariffs-2026");
    expect(fetched).not.toContain("/tariffs");
    const done = await getDb().toolCall.findUniqueOrThrow({ where: { id: call.id } });
    expect(done).toMatchObject({ status: "succeeded", input: { url: `${baseUrl}/tariffs-2026` } });
    expect(done.decision).toMatchObject({ approved: true, edited: true, userId: callers.user.userId });
    const types = (await readRunEvents(task.id)).map((event) => event.type);
    expect(types.indexOf("agent.tool_approval_requested")).toBeLessThan(types.indexOf("agent.tool_decided"));
    expect(types.indexOf("agent.tool_decided")).toBeLessThan(types.lastIndexOf("agent.tool_result"));
    expect((await getDb().agentExecution.findUniqueOrThrow({ where: { id: call.executionId } })).status).toBe("completed");
  });

  it("are never made when denied; the agent is told and finishes without them", async () => {
    const callers = await teamWithApprovals();
    const task = await createTask(callers.user, { prompt: "Research berth sizes. topic:berths" });
    const call = await parkedCall(task.id);
    await denyToolCall(callers.user, task.id, call.callId, { reason: "Use the knowledge base instead" });
    expect(await waitForTaskStatus(task.id, ["completed", "failed"], 30_000)).toBe("completed");
    expect(fetched).not.toContain("/berths");
    expect(await getDb().toolCall.findUniqueOrThrow({ where: { id: call.id } })).toMatchObject({
      status: "denied",
      decision: { approved: false, reason: "Use the knowledge base instead" },
    });
    const resumed = model.requests
      .filter(isResearch)
      .find(
        (request) =>
          request.messages.some((message) => message.role === "tool") && JSON.stringify(request.messages).includes("topic:berths"),
      );
    expect(JSON.stringify(resumed?.messages)).toContain("Use the knowledge base instead");
  });

  it("end with the task when it is cancelled while they wait", async () => {
    const callers = await teamWithApprovals();
    const task = await createTask(callers.user, { prompt: "Research pilotage. topic:pilotage" });
    const call = await parkedCall(task.id);
    await cancelTask(callers.user, task.id);
    expect(await getDb().toolCall.findUniqueOrThrow({ where: { id: call.id } })).toMatchObject({ status: "cancelled" });
    expect((await getDb().agentExecution.findUniqueOrThrow({ where: { id: call.executionId } })).status).toBe("cancelled");
    await expect(approveToolCall(callers.user, task.id, call.callId, {})).rejects.toMatchObject({ code: "not_found" });
    expect(fetched).not.toContain("/pilotage");
  });
});
