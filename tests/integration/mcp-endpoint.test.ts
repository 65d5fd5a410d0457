import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import type { Caller } from "@/server/auth/caller";
import { getDb } from "@/server/db/client";
import { createTask, getTask } from "@/server/tasks/tasks";
import { THREE_AGENT_PROMPT, createTeamWithMembers, useEmbeddedExecutor } from "../support/fixtures";
import { useApiServer } from "../support/api-server";

/**
 * Chorus as an MCP server, driven by the official MCP SDK's Client over Streamable HTTP with the
 * team's API key as a bearer token: the tools listed, a task run to its result (and one that
 * outlasts its wait, read later with get_task), tasks listed with a status filter, a viewer's
 * run_task refused as a tool error, another team's task not found, and no key no connection.
 */
useEmbeddedExecutor();
const api = useApiServer();

let member: Caller;
let userKey: string;
let viewerKey: string;
let outsiderKey: string;
let waitingTaskId: string;
const clients: Client[] = [];

async function connect(key: string): Promise<Client> {
  const client = new Client({ name: "chorus-test-host", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${api.baseURL}/api/v1/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

const textOf = (result: CallToolResult) => result.content.map((part) => (part.type === "text" ? part.text : "")).join("");

beforeAll(async () => {
  const { team, callers } = await createTeamWithMembers();
  const other = await createTeamWithMembers();
  member = callers.user;
  userKey = (await createApiKey({ teamId: team.id, role: "user", name: "mcp host" })).key;
  viewerKey = (await createApiKey({ teamId: team.id, role: "viewer", name: "viewer host" })).key;
  outsiderKey = (await createApiKey({ teamId: other.team.id, role: "admin", name: "outsider host" })).key;
  // Waits for plan approval, so it stays awaiting_approval for the status filter.
  waitingTaskId = (await createTask(callers.user, { prompt: "A task that waits for its plan to be approved", requireApproval: true })).id;
});

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
});

describe("Chorus's MCP server", () => {
  it("introduces itself and lists run_task, get_task and list_tasks with their input schemas", async () => {
    const client = await connect(viewerKey);
    expect(client.getServerVersion()?.name).toBe("chorus");
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(["get_task", "list_tasks", "run_task"]);
    const runTask = tools.find((tool) => tool.name === "run_task")!;
    expect(runTask.inputSchema.required).toEqual(["prompt"]);
    expect(Object.keys(runTask.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(["prompt", "waitSeconds"]));
  });

  it("run_task runs a task to its result; get_task reads it back", async () => {
    const client = await connect(userKey);
    const progress: string[] = [];
    const result = (await client.callTool({ name: "run_task", arguments: { prompt: THREE_AGENT_PROMPT } }, undefined, {
      onprogress: (update) => progress.push(update.message ?? ""),
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as { id: string; status: string; result: string };
    expect(structured.status).toBe("completed");
    const task = await getTask(member, structured.id);
    expect(task.status).toBe("completed");
    expect(textOf(result)).toBe((task.result as { markdown: string }).markdown);
    expect(textOf(result)).toMatch(/community garden/i);
    expect(progress.join("\n")).toMatch(/Planned 3 steps/);

    const read = (await client.callTool({ name: "get_task", arguments: { id: structured.id } })) as CallToolResult;
    expect(read.isError).toBeFalsy();
    expect(read.structuredContent).toMatchObject({
      id: structured.id,
      status: "completed",
      plan: [{ agent: "research" }, { agent: "analysis" }, { agent: "synthesis" }],
      result: (task.result as { markdown: string }).markdown,
      usage: { inputTokens: task.usage.inputTokens, outputTokens: task.usage.outputTokens },
    });
  });

  it("run_task with no wait answers at once with the task's id, and the task runs on", async () => {
    const client = await connect(userKey);
    const result = (await client.callTool({
      name: "run_task",
      arguments: { prompt: "Summarise lighthouse history", waitSeconds: 0 },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const { id, status } = result.structuredContent as { id: string; status: string };
    expect(["queued", "running"]).toContain(status);
    expect(textOf(result)).toContain(`get_task with id "${id}"`);
    for (;;) {
      const read = (await client.callTool({ name: "get_task", arguments: { id } })) as CallToolResult;
      const current = (read.structuredContent as { status: string }).status;
      if (current === "completed") break;
      expect(["queued", "running"]).toContain(current);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it("list_tasks lists the team's recent tasks, filtered by status", async () => {
    const client = await connect(viewerKey);
    const all = (await client.callTool({ name: "list_tasks", arguments: {} })) as CallToolResult;
    const listed = (all.structuredContent as { tasks: Array<{ id: string; status: string }> }).tasks;
    expect(listed.map((task) => task.id)).toContain(waitingTaskId);
    expect(listed.length).toBeGreaterThanOrEqual(3);

    const waiting = (await client.callTool({ name: "list_tasks", arguments: { status: "awaiting_approval" } })) as CallToolResult;
    const waitingTasks = (waiting.structuredContent as { tasks: Array<{ id: string; status: string }> }).tasks;
    expect(waitingTasks.map((task) => task.id)).toEqual([waitingTaskId]);
    expect(textOf(waiting)).toContain(waitingTaskId);

    const completed = (await client.callTool({ name: "list_tasks", arguments: { status: "completed", limit: 1 } })) as CallToolResult;
    const completedTasks = (completed.structuredContent as { tasks: Array<{ status: string }> }).tasks;
    expect(completedTasks).toHaveLength(1);
    expect(completedTasks[0]!.status).toBe("completed");
  });

  it("refuses a viewer's run_task as a tool error, and runs nothing", async () => {
    const client = await connect(viewerKey);
    const before = await getDb().task.count({ where: { teamId: member.teamId } });
    const result = (await client.callTool({ name: "run_task", arguments: { prompt: "Anything at all" } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/viewer.*does not allow "execute"/);
    expect(await getDb().task.count({ where: { teamId: member.teamId } })).toBe(before);
  });

  it("keeps another team's tasks out of reach: get_task finds nothing, list_tasks shows none", async () => {
    const client = await connect(outsiderKey);
    const read = (await client.callTool({ name: "get_task", arguments: { id: waitingTaskId } })) as CallToolResult;
    expect(read.isError).toBe(true);
    expect(textOf(read)).toBe("Task not found");
    const listed = (await client.callTool({ name: "list_tasks", arguments: {} })) as CallToolResult;
    expect(JSON.stringify(listed)).not.toContain(waitingTaskId);
  });

  it("answers bad tool arguments with an error naming them", async () => {
    const client = await connect(userKey);
    const result = (await client.callTool({ name: "run_task", arguments: { prompt: "" } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/prompt/);
  });

  it("refuses a connection without a valid key", async () => {
    await expect(connect("chorus_nope_not-a-real-key")).rejects.toMatchObject({
      code: 401,
      message: expect.stringMatching(/Invalid API key/),
    });
  });
});
