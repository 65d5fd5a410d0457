import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getDb } from "@/server/db/client";
import { getTask } from "@/server/tasks/tasks";
import { createAgentDefinition } from "@/server/teams/agent-definitions";
import { createModelProvider, updateModelRouting } from "@/server/teams/model-providers";
import type { Caller } from "@/server/auth/caller";
import { THREE_AGENT_PROMPT, createTeamWithMembers, eventTypes, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { useApiServer } from "../support/api-server";
import { startOpenAiWireServer } from "../support/openai-wire-server";

/**
 * The OpenAI-compatible endpoint, driven by OpenAI's official client pointed at Chorus: models
 * listed, a conversation answered by a stored task (non-streaming and streaming, with progress
 * as reasoning and usage), one agent alone as a model, OpenAI-shaped errors naming the param,
 * a viewer refused, another team seeing nothing, and a client that goes away cancelling its task.
 */
useEmbeddedExecutor();
const api = useApiServer();

let member: Caller;
let userKey: string;
let viewerKey: string;
let outsiderKey: string;
/** A key of a team whose only model refuses every call (a wrong key at the provider), so its tasks fail. */
let failingKey: string;
let refusingProvider: Awaited<ReturnType<typeof startOpenAiWireServer>>;

const client = (apiKey: string) => new OpenAI({ baseURL: `${api.baseURL}/api/v1`, apiKey, maxRetries: 0 });

beforeAll(async () => {
  const { team, callers } = await createTeamWithMembers();
  const other = await createTeamWithMembers();
  member = callers.user;
  await createAgentDefinition(callers.admin, {
    kind: "gardening-advisor",
    name: "Gardening advisor",
    description: "Advises on community gardens.",
    instructions: "Answer questions about community gardens.",
    capabilities: ["gardening"],
  });
  await createAgentDefinition(other.callers.admin, {
    kind: "their-secret-agent",
    name: "Theirs",
    description: "Another team's.",
    instructions: "Theirs.",
    capabilities: ["theirs"],
  });
  userKey = (await createApiKey({ teamId: team.id, role: "user", name: "openai client" })).key;
  viewerKey = (await createApiKey({ teamId: team.id, role: "viewer", name: "viewer" })).key;
  outsiderKey = (await createApiKey({ teamId: other.team.id, role: "admin", name: "outsider" })).key;

  refusingProvider = await startOpenAiWireServer({ model: "refusing-model", apiKey: "sk-the-right-key" });
  const failing = await createTeamWithMembers();
  const provider = await createModelProvider(failing.callers.admin, {
    name: "refusing",
    kind: "openai-compatible",
    baseUrl: refusingProvider.baseURL,
    apiKey: "sk-a-wrong-key-0000",
  });
  await updateModelRouting(failing.callers.admin, { default: [{ providerId: provider.id, model: "refusing-model" }] });
  failingKey = (await createApiKey({ teamId: failing.team.id, role: "user", name: "failing" })).key;
});

afterAll(async () => {
  await refusingProvider?.close();
});

describe("GET /api/v1/models", () => {
  it("lists chorus, the built-in agents and the team's own agents, and only this team's", async () => {
    const models: OpenAI.Models.Model[] = [];
    for await (const model of client(viewerKey).models.list()) models.push(model);
    const ids = models.map((model) => model.id);
    expect(ids[0]).toBe("chorus");
    expect(ids).toEqual(expect.arrayContaining(["research", "analysis", "synthesis", "gardening-advisor"]));
    expect(ids).not.toContain("their-secret-agent");
    expect(models.every((model) => model.object === "model" && typeof model.created === "number")).toBe(true);
  });
});

describe("POST /api/v1/chat/completions", () => {
  it("answers with the stored result of a coordinator task made from the conversation, with its real usage", async () => {
    const completion = await client(userKey).chat.completions.create({
      model: "chorus",
      messages: [
        { role: "system", content: "You write for a city council." },
        { role: "user", content: "We are planning a budget." },
        { role: "assistant", content: "Happy to help with the budget." },
        { role: "user", content: THREE_AGENT_PROMPT },
      ],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    const taskId = completion.id.slice("chatcmpl-".length);
    const task = await getTask(member, taskId);
    expect(task.status).toBe("completed");
    expect(task.plan).toMatchObject({ steps: [{ agent: "research" }, { agent: "analysis" }, { agent: "synthesis" }] });
    // The request first, then the system prompt and the earlier turns as context.
    expect(task.prompt.startsWith(THREE_AGENT_PROMPT)).toBe(true);
    expect(task.prompt).toContain("You write for a city council.");
    expect(task.prompt).toContain("Assistant: Happy to help with the budget.");
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.choices[0]!.message.role).toBe("assistant");
    expect(completion.choices[0]!.message.content).toBe((task.result as { markdown: string }).markdown);
    expect(completion.choices[0]!.message.content).toMatch(/community garden/i);
    expect(completion.usage).toEqual({
      prompt_tokens: task.usage.inputTokens,
      completion_tokens: task.usage.outputTokens,
      total_tokens: task.usage.inputTokens + task.usage.outputTokens,
    });
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
  });

  it("streams progress as reasoning, then the stored result as content, the usage chunk and [DONE]", async () => {
    const stream = await client(userKey).chat.completions.create({
      model: "chorus",
      messages: [{ role: "user", content: THREE_AGENT_PROMPT }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.object === "chat.completion.chunk" && chunk.id === chunks[0]!.id)).toBe(true);
    const taskId = chunks[0]!.id.slice("chatcmpl-".length);
    const task = await getTask(member, taskId);
    expect(task.status).toBe("completed");

    const deltas = chunks.flatMap((chunk) =>
      chunk.choices.map((choice) => choice.delta as { content?: string; reasoning_content?: string }),
    );
    const content = deltas.map((delta) => delta.content ?? "").join("");
    expect(content).toBe((task.result as { markdown: string }).markdown);
    expect(deltas.filter((delta) => delta.content).length).toBeGreaterThan(1);
    const reasoning = deltas.map((delta) => delta.reasoning_content ?? "").join("");
    expect(reasoning).toMatch(/Planned 3 steps/);
    for (const agent of ["research", "analysis", "synthesis"]) {
      expect(reasoning).toContain(`▶ ${agent} started`);
      expect(reasoning).toContain(`✓ ${agent} finished`);
    }
    // Progress comes before any of the answer.
    const firstContent = deltas.findIndex((delta) => delta.content);
    expect(deltas.slice(firstContent).some((delta) => delta.reasoning_content)).toBe(false);

    const finishing = chunks.filter((chunk) => chunk.choices[0]?.finish_reason);
    expect(finishing.map((chunk) => chunk.choices[0]!.finish_reason)).toEqual(["stop"]);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({
      prompt_tokens: task.usage.inputTokens,
      completion_tokens: task.usage.outputTokens,
      total_tokens: task.usage.inputTokens + task.usage.outputTokens,
    });
    expect(last.usage!.total_tokens).toBeGreaterThan(0);
  });

  it("ends the wire stream with data: [DONE], as OpenAI's does", async () => {
    // The client stops reading at [DONE] without showing it, so this one looks at the bytes.
    const response = await fetch(`${api.baseURL}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${userKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "research", messages: [{ role: "user", content: "Lighthouse keepers" }], stream: true }),
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const text = await response.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(text.match(/^data: \{"id":"chatcmpl-/gm)!.length).toBeGreaterThan(3);
  });

  it("runs one agent alone when the model is an agent kind (the team's own included)", async () => {
    const completion = await client(userKey).chat.completions.create({
      model: "gardening-advisor",
      messages: [{ role: "user", content: "How should a community garden share its tools?" }],
    });
    const task = await getTask(member, completion.id.slice("chatcmpl-".length));
    expect(task.status).toBe("completed");
    expect(task.executions.map((execution) => execution.agent)).toEqual(["gardening-advisor"]);
    expect(completion.choices[0]!.message.content).toBe((task.result as { markdown: string }).markdown);
  });

  it("refuses bad requests with a 400 in OpenAI's shape naming the param, and an unknown model with a 404", async () => {
    const openai = client(userKey);
    const tasksBefore = await getDb().task.count({ where: { teamId: member.teamId } });
    const refusals: Array<[unknown, number, string]> = [
      [{ model: "chorus", messages: [] }, 400, "messages"],
      [{ model: "chorus" }, 400, "messages"],
      [{ messages: [{ role: "user", content: "hi" }] }, 400, "model"],
      [{ model: "chorus", messages: [{ role: "wizard", content: "hi" }] }, 400, "messages.0.role"],
      [
        {
          model: "chorus",
          messages: [
            { role: "user", content: "hi" },
            { role: "assistant", content: "hello" },
          ],
        },
        400,
        "messages",
      ],
      [{ model: "chorus", messages: [{ role: "user", content: "   " }] }, 400, "messages.0.content"],
      [
        {
          model: "chorus",
          messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }] }],
        },
        400,
        "messages.0.content.0.type",
      ],
      [{ model: "chorus", messages: [{ role: "user", content: "hi" }], n: 2 }, 400, "n"],
      [{ model: "chorus", messages: [{ role: "user", content: "hi" }], stream: "yes" }, 400, "stream"],
      [{ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }, 404, "model"],
      [{ model: "their-secret-agent", messages: [{ role: "user", content: "hi" }] }, 404, "model"],
    ];
    for (const [body, status, param] of refusals) {
      const error = await openai.chat.completions.create(body as never).catch((caught: unknown) => caught);
      expect(error, JSON.stringify(body)).toBeInstanceOf(OpenAI.APIError);
      const apiError = error as InstanceType<typeof OpenAI.APIError>;
      expect(apiError.status, JSON.stringify(body)).toBe(status);
      expect(apiError.param, JSON.stringify(body)).toBe(param);
      expect(apiError.type).toBe("invalid_request_error");
      expect(apiError.error).toMatchObject({ message: expect.any(String), code: status === 400 ? "bad_request" : "not_found" });
    }
    expect(await getDb().task.count({ where: { teamId: member.teamId } })).toBe(tasksBefore);
  });

  it("refuses a viewer's key (403) and a wrong key (401) in OpenAI's shape, running nothing", async () => {
    const tasksBefore = await getDb().task.count({ where: { teamId: member.teamId } });
    const request = { model: "chorus", messages: [{ role: "user" as const, content: "Anything" }] };
    const forbidden = await client(viewerKey)
      .chat.completions.create(request)
      .catch((caught: unknown) => caught);
    expect(forbidden).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((forbidden as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: "permission_error", code: "forbidden" });
    const unauthorized = await client("chorus_nope_not-a-key")
      .chat.completions.create(request)
      .catch((caught: unknown) => caught);
    expect(unauthorized).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(await getDb().task.count({ where: { teamId: member.teamId } })).toBe(tasksBefore);
  });

  it("keeps each team's completions to itself", async () => {
    const ours = await client(userKey).chat.completions.create({
      model: "research",
      messages: [{ role: "user", content: "Lighthouse history" }],
    });
    const taskId = ours.id.slice("chatcmpl-".length);
    const theirs = await client(outsiderKey).chat.completions.create({
      model: "chorus",
      messages: [{ role: "user", content: "Tide tables" }],
    });
    const theirTask = await getDb().task.findUniqueOrThrow({ where: { id: theirs.id.slice("chatcmpl-".length) } });
    expect(theirTask.teamId).not.toBe(member.teamId);
    const read = await fetch(`${api.baseURL}/api/v1/tasks/${taskId}`, { headers: { authorization: `Bearer ${outsiderKey}` } });
    expect(read.status).toBe(404);
    const listed = await fetch(`${api.baseURL}/api/v1/tasks`, { headers: { authorization: `Bearer ${outsiderKey}` } });
    expect(await listed.text()).not.toContain(taskId);
  });

  it("answers a task that failed with an error naming it, telling clients not to retry; streaming, as an error event", async () => {
    const request = { model: "research", messages: [{ role: "user" as const, content: "Lighthouse keepers" }] };
    const failed = await client(failingKey)
      .chat.completions.create(request)
      .catch((caught: unknown) => caught);
    expect(failed).toBeInstanceOf(OpenAI.InternalServerError);
    const error = failed as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(503);
    expect(error.headers?.get("x-should-retry")).toBe("false");
    expect(error.error).toMatchObject({ type: "server_error", code: "unavailable" });
    const taskId = /The task (\w+) failed/.exec(error.message)![1]!;
    expect((await getDb().task.findUniqueOrThrow({ where: { id: taskId } })).status).toBe("failed");

    const stream = await client(failingKey).chat.completions.create({ ...request, stream: true });
    const content: string[] = [];
    const streamed = await (async () => {
      for await (const chunk of stream) content.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((caught: unknown) => caught);
    expect(streamed).toBeInstanceOf(OpenAI.APIError);
    expect((streamed as InstanceType<typeof OpenAI.APIError>).message).toMatch(/The task \w+ failed/);
    expect(content.join("")).toBe("");
  });

  it("cancels the task when a non-streaming client gives up waiting", async () => {
    const previousDelay = process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS;
    process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = "20";
    try {
      const abort = new AbortController();
      const prompt = "Research the history of tide mills in great detail.";
      const request = client(userKey)
        .chat.completions.create({ model: "research", messages: [{ role: "user", content: prompt }] }, { signal: abort.signal })
        .catch((caught: unknown) => caught);
      let task: { id: string } | null = null;
      while (!task) {
        task = await getDb().task.findFirst({ where: { teamId: member.teamId, prompt, status: "running" }, select: { id: true } });
        if (!task) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      abort.abort();
      expect(await request).toBeInstanceOf(OpenAI.APIUserAbortError);
      expect(await waitForTaskStatus(task.id, ["cancelled", "completed"])).toBe("cancelled");
      while (!(await eventTypes(task.id)).includes("task.cancelled")) await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = previousDelay;
    }
  });

  it("cancels the task when the client goes away mid-stream", async () => {
    const previousDelay = process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS;
    process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = "20";
    try {
      const abort = new AbortController();
      const stream = await client(userKey).chat.completions.create(
        { model: "research", messages: [{ role: "user", content: "Research the history of lighthouses in great detail." }], stream: true },
        { signal: abort.signal },
      );
      let taskId = "";
      try {
        for await (const chunk of stream) {
          taskId = chunk.id.slice("chatcmpl-".length);
          if ((chunk.choices[0]?.delta as { reasoning_content?: string }).reasoning_content?.includes("started")) abort.abort();
        }
      } catch {
        // The abort ends the iteration.
      }
      expect(taskId).not.toBe("");
      expect(await waitForTaskStatus(taskId, ["cancelled", "completed"])).toBe("cancelled");
      // The cancel's event follows its status change: wait for it, so the executor is still there to take it.
      while (!(await eventTypes(taskId)).includes("task.cancelled")) await new Promise((resolve) => setTimeout(resolve, 20));
      const executions = await getDb().agentExecution.findMany({ where: { taskId } });
      expect(executions.map((execution) => execution.status)).not.toContain("completed");
    } finally {
      process.env.CHORUS_OFFLINE_TOKEN_DELAY_MS = previousDelay;
    }
  });
});
