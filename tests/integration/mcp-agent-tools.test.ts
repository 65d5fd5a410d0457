import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Caller } from "@/server/auth/caller";
import { UNTRUSTED_NOTICE } from "@/server/agents/tools/run-tool";
import { getDb } from "@/server/db/client";
import { readRunEvents } from "@/server/db/queries/run-events";
import { createMcpServer } from "@/server/mcp/mcp-servers";
import { createTask, getTask } from "@/server/tasks/tasks";
import { approveToolCall, denyToolCall } from "@/server/tasks/tool-call-decisions";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { until } from "../support/executor-helpers";
import { startMcpTestServer, type McpTestServer } from "../support/mcp-test-server";
import { useOpenAiWireServer, type ChatRequest } from "../support/openai-wire-server";

/**
 * A team's MCP server in an agent's run, end to end: the team registers a real MCP server (the
 * official SDK's, behind a bearer token), and the research agent — driven over OpenAI's wire
 * format by a stand-in that calls tools by their model-facing names `mcp_<server>_<tool>` — reads
 * with a read-only tool, whose text comes back as untrusted data and is recorded; a destructive
 * tool waits for a member, runs on approval and never reaches the server when denied; and a server
 * allowed only to another agent kind is not offered to research at all.
 */

const TOKEN = `mcp-token-${randomBytes(12).toString("hex")}`;
let mcp: McpTestServer;
let callers: Record<"admin" | "user" | "viewer", Caller>;

beforeAll(async () => {
  mcp = await startMcpTestServer(TOKEN);
  ({ callers } = await createTeamWithMembers());
  const headers = { Authorization: `Bearer ${TOKEN}` };
  await createMcpServer(callers.admin, { name: "notes", url: mcp.url, headers });
  // The same server under another name, for the analysis agent only.
  await createMcpServer(callers.admin, { name: "ledger", url: mcp.url, headers, allowedAgents: ["analysis"] });
});
afterAll(async () => mcp.close());

const systemPrompt = (request: ChatRequest) => request.messages.find((message) => message.role === "system")?.content ?? "";
const isAgent = (kind: string) => (request: ChatRequest) =>
  request.stream === true && new RegExp(`${kind} agent`, "i").test(systemPrompt(request));
const isResearch = isAgent("research");
const conversation = (request: ChatRequest) => request.messages.map((message) => message.content ?? "").join("\n");
const toolMessages = (request: ChatRequest) => request.messages.filter((message) => message.role === "tool");
const offered = (request: ChatRequest) => (request.tools ?? []).map((tool) => tool.function.name);

/** The research agent's first move, from a marker in the task's prompt. */
const model = useOpenAiWireServer({
  respond: (request) => {
    if (!isResearch(request) || toolMessages(request).length > 0) return undefined;
    const text = conversation(request);
    if (text.includes("[read-notes]")) return { toolCall: { name: "mcp_notes_read_notes", arguments: {} } };
    const doomed = /\[delete-note:([\w -]+)\]/.exec(text)?.[1];
    if (doomed) return { toolCall: { name: "mcp_notes_delete_note", arguments: { text: doomed } } };
    return undefined;
  },
});
useEmbeddedExecutor(8);

const researchRequestsOf = (marker: string) =>
  model.requests.filter((request) => isResearch(request) && conversation(request).includes(marker));

async function parkedCall(taskId: string) {
  return until(
    async () => (await getDb().toolCall.findFirst({ where: { taskId, status: "awaiting_approval" } })) ?? undefined,
    20_000,
    "a tool call waiting for approval",
  );
}

describe("MCP tools in an agent's run", () => {
  it("run a read-only tool at once: its text goes back to the model as untrusted data, and the call is recorded", async () => {
    const callsBefore = mcp.calls.length;
    const task = await createTask(callers.user, { prompt: "Research what is on our list. [read-notes]" });
    expect(await waitForTaskStatus(task.id, ["completed", "failed"], 30_000)).toBe("completed");

    expect(mcp.calls.slice(callsBefore)).toEqual([{ tool: "read_notes", arguments: {} }]);
    const research = researchRequestsOf("[read-notes]");
    expect(research).toHaveLength(2);
    const answer = JSON.parse(toolMessages(research[1]!)[0]!.content) as Record<string, unknown>;
    expect(Object.keys(answer)[0]).toBe("notice");
    expect(answer).toMatchObject({ notice: UNTRUSTED_NOTICE, server: "notes", tool: "read_notes" });
    expect(answer.text).toContain("call Ada");

    const calls = await getDb().toolCall.findMany({ where: { taskId: task.id } });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ tool: "mcp_notes_read_notes", status: "succeeded", input: {}, teamId: callers.user.teamId });
    expect(calls[0]!.outputExcerpt).toContain("call Ada");
    const toolEvents = (await readRunEvents(task.id)).filter((event) => event.type.startsWith("agent.tool_"));
    expect(toolEvents.map((event) => [event.type, event.payload.tool, event.payload.status])).toEqual([
      ["agent.tool_call", "mcp_notes_read_notes", undefined],
      ["agent.tool_result", "mcp_notes_read_notes", "succeeded"],
    ]);
    const view = await getTask(callers.user, task.id);
    expect(view.executions.find((execution) => execution.stepId === "research")!.toolCalls).toMatchObject([
      { tool: "mcp_notes_read_notes", status: "succeeded" },
    ]);
  });

  it("hold a destructive tool's call until a member approves it, then run it", async () => {
    mcp.notes.push("old ferry timetable");
    const task = await createTask(callers.user, { prompt: "Tidy our list. [delete-note:old ferry timetable]" });
    const call = await parkedCall(task.id);
    expect(call).toMatchObject({ tool: "mcp_notes_delete_note", input: { text: "old ferry timetable" } });
    expect((await getDb().agentExecution.findUniqueOrThrow({ where: { id: call.executionId } })).status).toBe("awaiting_tool_approval");
    expect(mcp.calls).not.toContainEqual({ tool: "delete_note", arguments: { text: "old ferry timetable" } });
    expect(mcp.notes).toContain("old ferry timetable");

    await approveToolCall(callers.user, task.id, call.callId, {});
    expect(await waitForTaskStatus(task.id, ["completed", "failed"], 30_000)).toBe("completed");

    expect(mcp.calls.filter((made) => made.tool === "delete_note" && made.arguments.text === "old ferry timetable")).toHaveLength(1);
    expect(mcp.notes).not.toContain("old ferry timetable");
    expect(await getDb().toolCall.findUniqueOrThrow({ where: { id: call.id } })).toMatchObject({
      status: "succeeded",
      decision: { approved: true, userId: callers.user.userId },
    });
    const resumed = researchRequestsOf("[delete-note:old ferry timetable]").at(-1)!;
    expect(JSON.parse(toolMessages(resumed)[0]!.content)).toMatchObject({
      notice: UNTRUSTED_NOTICE,
      tool: "delete_note",
      text: 'Deleted "old ferry timetable"',
    });
  });

  it("never send a denied call to the MCP server; the agent is told and finishes", async () => {
    mcp.notes.push("harbour contacts");
    const task = await createTask(callers.user, { prompt: "Tidy our list. [delete-note:harbour contacts]" });
    const call = await parkedCall(task.id);
    await denyToolCall(callers.user, task.id, call.callId, { reason: "We still need those contacts" });
    expect(await waitForTaskStatus(task.id, ["completed", "failed"], 30_000)).toBe("completed");

    expect(mcp.calls).not.toContainEqual({ tool: "delete_note", arguments: { text: "harbour contacts" } });
    expect(mcp.notes).toContain("harbour contacts");
    expect(await getDb().toolCall.findUniqueOrThrow({ where: { id: call.id } })).toMatchObject({
      status: "denied",
      decision: { approved: false, reason: "We still need those contacts" },
    });
    const resumed = researchRequestsOf("[delete-note:harbour contacts]").at(-1)!;
    expect(JSON.stringify(toolMessages(resumed))).toContain("We still need those contacts");
  });

  it("offer a server's tools only to the agent kinds it allows", async () => {
    const task = await createTask(callers.user, { prompt: "Research our list and analyse it. [read-notes]" });
    expect(await waitForTaskStatus(task.id, ["completed", "failed"], 30_000)).toBe("completed");
    const forTask = (request: ChatRequest) => conversation(request).includes("Research our list and analyse it.");

    const research = model.requests.filter((request) => isResearch(request) && forTask(request));
    expect(research.length).toBeGreaterThan(0);
    for (const request of research) {
      expect(offered(request)).toEqual(expect.arrayContaining(["fetch_url", "mcp_notes_read_notes", "mcp_notes_delete_note"]));
      expect(offered(request).filter((name) => name.startsWith("mcp_ledger_"))).toEqual([]);
    }
    const analysis = model.requests.filter((request) => isAgent("analysis")(request) && forTask(request));
    expect(analysis.length).toBeGreaterThan(0);
    expect(offered(analysis[0]!)).toEqual(expect.arrayContaining(["mcp_ledger_read_notes", "mcp_notes_read_notes"]));
  });
});
