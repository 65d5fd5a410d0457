import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UNTRUSTED_NOTICE } from "@/server/agents/tools/run-tool";
import { getDb } from "@/server/db/client";
import { readRunEvents } from "@/server/db/queries/run-events";
import { createTask, getTask } from "@/server/tasks/tasks";
import { approveToolCall } from "@/server/tasks/tool-call-decisions";
import { updateToolApprovalSettings } from "@/server/teams/tool-approvals";
import { updateFetchPolicy } from "@/server/web/fetch-policy";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { until } from "../support/executor-helpers";
import {
  contentBlocks,
  systemText,
  textOf,
  toolResults,
  toolResultText,
  useAnthropicWireServer,
  type MessagesRequest,
} from "../support/anthropic-wire-server";

/**
 * Agents using tools over Anthropic's Messages API: the stand-in streams Anthropic's SSE events
 * to the real @ai-sdk/anthropic client (ANTHROPIC_BASE_URL), so the research agent's `tool_use`
 * block becomes a fetch_url call, the page goes back as a `tool_result` labelled untrusted, and
 * the call is recorded, streamed, counted and cited just as over OpenAI's wire format — and, when
 * the team wants fetch_url approved first, waits for a member and then runs.
 */

let pageServer: Server;
let pageOrigin = "";
const fetched: string[] = [];

beforeAll(async () => {
  pageServer = createServer((request, response) => {
    fetched.push(request.url ?? "");
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(
      `<html><head><title>Pilotage fees ${request.url}</title></head><body><article><h1>Pilotage</h1><p>${"Pilotage is compulsory for vessels over 80 metres in the inner harbour. ".repeat(6)}</p></article></body></html>`,
    );
  });
  // 127.0.0.2 is allowed by the teams below; loopback addresses are refused by default.
  await new Promise<void>((resolve) => pageServer.listen(0, "127.0.0.2", resolve));
  pageOrigin = `http://127.0.0.2:${(pageServer.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => pageServer.close(resolve)));

const isResearch = (request: MessagesRequest) => request.stream === true && /research agent/i.test(systemText(request));
/** The page a task's prompt names, as the research agent's request carries it. */
const pageNamedIn = (request: MessagesRequest) => /http:\/\/127\.0\.0\.2:\d+\/[\w-]+/.exec(textOf(contentBlocks(request)))?.[0];

const TOOL_USE = { input: 30, output: 8 };
const END_TURN = { input: 40, output: 12 };

const model = useAnthropicWireServer({
  toolUseUsage: TOOL_USE,
  streamUsage: END_TURN,
  pieces: ["# Research notes: pilotage\n\n", "- Pilotage is compulsory over 80 metres.\n"],
  respond: (request) => {
    if (!isResearch(request) || toolResults(request).length > 0) return undefined;
    const url = pageNamedIn(request);
    return url ? { text: "I will read the page first.", toolUse: { name: "fetch_url", input: { url } } } : undefined;
  },
});
useEmbeddedExecutor(8);

/** The research agent's requests of one task, told apart by the page its prompt names. */
const researchRequestsFor = (url: string) => model.requests.filter((request) => isResearch(request) && pageNamedIn(request) === url);

describe("agents with tools over Anthropic's Messages API", () => {
  it("call fetch_url from a streamed tool_use block, get the page back as an untrusted tool_result, and record, count and cite the call", async () => {
    const { callers } = await createTeamWithMembers();
    await updateFetchPolicy(callers.admin, { allow: ["127.0.0.2"], deny: [] });
    const pageUrl = `${pageOrigin}/pilotage-fees`;
    const task = await createTask(callers.user, { prompt: `Research pilotage fees for large vessels; start from ${pageUrl}` });
    expect(await waitForTaskStatus(task.id, ["completed", "failed"], 30_000)).toBe("completed");

    // The planner asked for the plan as JSON of a schema (the default model has native structured output), and used the answer as it was.
    const planner = model.requests.find((request) => !request.stream && textOf(contentBlocks(request)).includes(pageUrl));
    expect(planner?.output_config?.format).toMatchObject({ type: "json_schema", schema: { type: "object" } });
    const stored = await getDb().task.findUniqueOrThrow({ where: { id: task.id } });
    expect(stored.plan).toMatchObject({ source: "model", steps: [{ agent: "research" }, { agent: "analysis" }, { agent: "synthesis" }] });

    // The model was asked twice: the call, then the answer with the page as the tool's result.
    const research = researchRequestsFor(pageUrl);
    expect(research).toHaveLength(2);
    expect(research[0]!.tools?.map((tool) => tool.name)).toContain("fetch_url");
    const toolUse = contentBlocks(research[1]!).find((block) => block.type === "tool_use");
    expect(toolUse).toMatchObject({ type: "tool_use", name: "fetch_url", input: { url: pageUrl } });
    const [result] = toolResults(research[1]!);
    expect(result).toMatchObject({ tool_use_id: (toolUse as { id: string }).id });
    const page = JSON.parse(toolResultText(result!)) as Record<string, unknown>;
    expect(Object.keys(page)[0]).toBe("notice");
    expect(page).toMatchObject({ notice: UNTRUSTED_NOTICE, url: pageUrl, title: "Pilotage fees /pilotage-fees" });
    expect(JSON.stringify(page)).toContain("Pilotage is compulsory for vessels over 80 metres");

    const calls = await getDb().toolCall.findMany({ where: { taskId: task.id } });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ tool: "fetch_url", input: { url: pageUrl }, status: "succeeded", teamId: callers.user.teamId });
    expect(calls[0]!.callId).toBe((toolUse as { id: string }).id);
    expect(calls[0]!.outputExcerpt).toMatch(/^Pilotage fees \/pilotage-fees\n/);

    const events = await readRunEvents(task.id);
    expect(
      events.filter((event) => event.type.startsWith("agent.tool_")).map((event) => [event.type, event.payload.tool, event.payload.status]),
    ).toEqual([
      ["agent.tool_call", "fetch_url", undefined],
      ["agent.tool_result", "fetch_url", "succeeded"],
    ]);

    // Usage is what the provider reported, over both model calls of the step.
    const execution = await getDb().agentExecution.findUniqueOrThrow({ where: { id: calls[0]!.executionId } });
    expect(execution).toMatchObject({
      stepKey: "research",
      status: "completed",
      inputTokens: TOOL_USE.input + END_TURN.input,
      outputTokens: TOOL_USE.output + END_TURN.output,
    });
    expect(execution.modelId).toBe("claude-wire-test");
    // What the model said before the call and its answer after it are separate paragraphs, streamed as stored.
    const researchText = (execution.output as { text: string }).text;
    expect(researchText).toBe("I will read the page first.\n\n# Research notes: pilotage\n\n- Pilotage is compulsory over 80 metres.\n");
    const deltas = events.filter((event) => event.type === "agent.delta" && event.payload.stepId === "research");
    expect(deltas.map((event) => event.payload.text).join("")).toBe(researchText);

    const view = await getTask(callers.user, task.id);
    const researchView = view.executions.find((candidate) => candidate.stepId === "research")!;
    expect(researchView.toolCalls.map((call) => [call.tool, call.status])).toEqual([["fetch_url", "succeeded"]]);
    expect((view.result as { sources: Array<{ title: string; url?: string }> }).sources).toContainEqual({
      title: "Pilotage fees /pilotage-fees",
      url: pageUrl,
    });
  });

  it("park a call the team wants approved, and run it once a member approves", async () => {
    const { callers } = await createTeamWithMembers();
    await updateFetchPolicy(callers.admin, { allow: ["127.0.0.2"], deny: [] });
    await updateToolApprovalSettings(callers.admin, { tools: ["fetch_url"] });
    const pageUrl = `${pageOrigin}/pilotage-approved`;
    const task = await createTask(callers.user, { prompt: `Research pilotage rules; start from ${pageUrl}` });

    const call = await until(
      async () => (await getDb().toolCall.findFirst({ where: { taskId: task.id, status: "awaiting_approval" } })) ?? undefined,
      20_000,
      "a tool call waiting for approval",
    );
    expect(call).toMatchObject({ tool: "fetch_url", input: { url: pageUrl } });
    expect((await getDb().agentExecution.findUniqueOrThrow({ where: { id: call.executionId } })).status).toBe("awaiting_tool_approval");
    expect(fetched).not.toContain("/pilotage-approved");

    await approveToolCall(callers.user, task.id, call.callId, {});
    expect(await waitForTaskStatus(task.id, ["completed", "failed"], 30_000)).toBe("completed");

    expect(fetched).toContain("/pilotage-approved");
    expect(await getDb().toolCall.findUniqueOrThrow({ where: { id: call.id } })).toMatchObject({
      status: "succeeded",
      decision: { approved: true, userId: callers.user.userId },
    });
    const research = researchRequestsFor(pageUrl);
    expect(research).toHaveLength(2);
    const [result] = toolResults(research[1]!);
    expect(result?.tool_use_id).toBe(call.callId);
    expect(JSON.parse(toolResultText(result!))).toMatchObject({ notice: UNTRUSTED_NOTICE, url: pageUrl });
    // The stretch before the approval counts as much as the one after it, and its text stays a paragraph of its own.
    const execution = await getDb().agentExecution.findUniqueOrThrow({ where: { id: call.executionId } });
    expect(execution).toMatchObject({
      status: "completed",
      inputTokens: TOOL_USE.input + END_TURN.input,
      outputTokens: TOOL_USE.output + END_TURN.output,
    });
    expect((execution.output as { text: string }).text).toMatch(/^I will read the page first\.\n\n# Research notes: pilotage\n/);
  });

  it("plan through the forced json tool on a model without native structured output", async () => {
    const { callers } = await createTeamWithMembers();
    process.env.CHORUS_MODEL = "claude-sonnet-4-20250514";
    try {
      const task = await createTask(callers.user, { prompt: "Research tugboat availability. [json-tool plan]" });
      expect(await waitForTaskStatus(task.id, ["completed", "failed"], 30_000)).toBe("completed");
      const planner = model.requests.find((request) => !request.stream && textOf(contentBlocks(request)).includes("[json-tool plan]"));
      expect(planner).toMatchObject({ model: "claude-sonnet-4-20250514", tool_choice: { type: "any" } });
      expect(planner?.tools?.map((tool) => tool.name)).toEqual(["json"]);
      expect(planner?.output_config?.format).toBeUndefined();
      const stored = await getDb().task.findUniqueOrThrow({ where: { id: task.id } });
      expect(stored.plan).toMatchObject({ source: "model", steps: [{ agent: "research" }, { agent: "analysis" }, { agent: "synthesis" }] });
    } finally {
      delete process.env.CHORUS_MODEL;
    }
  });
});
