import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getDb } from "@/server/db/client";
import { createKnowledgeDocument } from "@/server/knowledge/documents";
import { BreakerRegistry } from "@/server/llm/breaker";
import { withFallback, type ModelRoute } from "@/server/llm/fallback";
import { classifyModelError, describeModelError, ModelDeadlineExceeded } from "@/server/llm/model-errors";
import { resolveModelChain } from "@/server/llm/model-service";
import { runTextStream } from "@/server/llm/run-text-stream";
import { settleUsageRecords } from "@/server/llm/usage-recording";
import { createTask } from "@/server/tasks/tasks";
import { createModelProvider, updateModelRouting } from "@/server/teams/model-providers";
import { useApiServer } from "../support/api-server";
import { createTeamWithMembers, THREE_AGENT_PROMPT, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import {
  responsesRequestText,
  responsesSystemText,
  startOpenAiResponsesWireServer,
  type ResponsesRequest,
} from "../support/openai-responses-wire-server";

/**
 * OpenAI's Responses API as a provider's `api` (docs/models.md), through the real @ai-sdk/openai
 * Responses model against a local server speaking its JSON and SSE formats: a whole task (the
 * planner's structured output, the agents' streams, the synthesis) runs on it with the usage the
 * server reported, cached and reasoning tokens included; an agent calls search_knowledge through
 * the Responses function-call events and gets the result back; 429 and 500 are retried or fall
 * back and a stall is cut off as over Chat Completions; the instance-wide OPENAI_API does the
 * same for the environment's provider; and the setting is validated, shown and never leaks a key.
 */
useEmbeddedExecutor(8);
const api = useApiServer();

const PROVIDER_KEY = `sk-responses-${randomBytes(10).toString("hex")}`;
const PLAN_USAGE = { input: 100, output: 50, cachedInput: 20, reasoning: 10 };
const STREAM_USAGE = { input: 40, output: 12, cachedInput: 8, reasoning: 4 };
const pieces = ["# Notes\n\n", "- One finding.\n", "- Another finding.\n"];

const isResearch = (request: ResponsesRequest) => request.stream === true && /research agent/i.test(responsesSystemText(request));
const hasToolOutput = (request: ResponsesRequest) => request.input.some((item) => item.type === "function_call_output");

let wire: Awaited<ReturnType<typeof startOpenAiResponsesWireServer>>;
let backup: Awaited<ReturnType<typeof startOpenAiResponsesWireServer>>;
beforeAll(async () => {
  wire = await startOpenAiResponsesWireServer({
    model: "responses-model",
    pieces,
    planUsage: PLAN_USAGE,
    streamUsage: STREAM_USAGE,
    respond: (request) => {
      const text = responsesRequestText(request);
      if (text.includes("RATE-LIMITED")) return { status: 429, message: "Rate limit reached", headers: { "retry-after": "2" } };
      if (text.includes("SERVER-ERROR")) return { status: 500, message: "The server had an error" };
      if (text.includes("ONE-CHUNK-THEN-STALL")) return { stallAfterPieces: 1 };
      if (isResearch(request) && text.includes("[knowledge]") && !hasToolOutput(request))
        return { toolCall: { name: "search_knowledge", arguments: { query: "lighthouse keepers" } } };
      return undefined;
    },
  });
  backup = await startOpenAiResponsesWireServer({ model: "backup-model" });
});
afterAll(async () => {
  await Promise.all([wire?.close(), backup?.close()]);
});

const registries: BreakerRegistry[] = [];
afterEach(() => {
  for (const registry of registries.splice(0)) registry.shutdown();
});

/** A team whose every role goes to the Responses server (and optionally a backup after it). */
async function responsesTeam(options: { withBackup?: boolean; stallTimeoutMs?: number } = {}) {
  const team = await createTeamWithMembers();
  const provider = await createModelProvider(team.callers.admin, {
    name: "responses-gateway",
    kind: "openai-compatible",
    baseUrl: wire.baseURL,
    apiKey: PROVIDER_KEY,
    api: "responses",
    ...(options.stallTimeoutMs ? { stallTimeoutMs: options.stallTimeoutMs } : {}),
  });
  const chain = [{ providerId: provider.id, model: "responses-model" }];
  if (options.withBackup) {
    const second = await createModelProvider(team.callers.admin, {
      name: "backup",
      kind: "openai-compatible",
      baseUrl: backup.baseURL,
      api: "responses",
    });
    chain.push({ providerId: second.id, model: "backup-model" });
  }
  await updateModelRouting(team.callers.admin, { default: chain });
  return { ...team, provider };
}

/** One streamed agent call through the team's chain, as a task's step makes it (fallback, deadlines, breakers). */
async function callThroughChain(teamId: string, prompt: string) {
  const breakers = new BreakerRegistry({ failureThreshold: 5, resetMs: 60_000, sharedReadCacheMs: 0 });
  registries.push(breakers);
  const routes: ModelRoute[] = [];
  const links = await resolveModelChain(teamId, { role: "agent", agentKind: "research" });
  const streamed: string[] = [];
  try {
    const result = await runTextStream({
      model: withFallback(links, { breakers, onRoute: (route) => routes.push(route) }),
      system: "You are a test.",
      prompt,
      onDelta: (text) => streamed.push(text),
    });
    return { result, route: routes[0], streamed, links, breakers, error: undefined };
  } catch (error) {
    return { result: undefined, route: routes[0], streamed, links, breakers, error };
  }
}

describe("a provider on the Responses API", () => {
  it("runs a whole task — planner, agents, synthesis — with the server's token counts on every usage row", async () => {
    const { callers, team } = await responsesTeam();
    const before = wire.requests.length;
    const task = await createTask(callers.user, { prompt: `${THREE_AGENT_PROMPT} [whole task]`, cache: false });
    expect(await waitForTaskStatus(task.id, ["completed", "failed"], 45_000)).toBe("completed");

    const requests = wire.requests.slice(before).filter((request) => responsesRequestText(request.body).includes("[whole task]"));
    expect(requests.every((request) => request.url === "/v1/responses")).toBe(true);
    expect(requests.every((request) => request.headers.authorization === `Bearer ${PROVIDER_KEY}`)).toBe(true);
    // Nothing is left stored at the provider, and follow-ups never depend on it.
    expect(requests.every((request) => request.body.store === false)).toBe(true);
    const planner = requests.find((request) => request.body.stream !== true);
    expect(planner?.body.text?.format).toMatchObject({ type: "json_schema", schema: { type: "object" } });
    expect(requests.filter((request) => request.body.stream === true).length).toBeGreaterThanOrEqual(3);

    const stored = await getDb().task.findUniqueOrThrow({ where: { id: task.id } });
    expect(stored.plan).toMatchObject({ source: "model" });
    await settleUsageRecords();
    const calls = await getDb().modelCall.findMany({ where: { taskId: task.id, teamId: team.id } });
    const plannerCall = calls.find((call) => call.role === "planner");
    expect(plannerCall).toMatchObject({
      provider: "openai-compatible.responses",
      modelId: "responses-model",
      outcome: "completed",
      estimated: false,
      inputTokens: PLAN_USAGE.input,
      outputTokens: PLAN_USAGE.output,
      cachedInputTokens: PLAN_USAGE.cachedInput,
      reasoningTokens: PLAN_USAGE.reasoning,
    });
    const streamedCalls = calls.filter((call) => call.role !== "planner");
    expect(streamedCalls.length).toBeGreaterThanOrEqual(3);
    for (const call of streamedCalls) {
      expect(call).toMatchObject({
        outcome: "completed",
        inputTokens: STREAM_USAGE.input,
        outputTokens: STREAM_USAGE.output,
        cachedInputTokens: STREAM_USAGE.cachedInput,
        reasoningTokens: STREAM_USAGE.reasoning,
      });
    }
    const research = await getDb().agentExecution.findFirstOrThrow({ where: { taskId: task.id, agentKind: "research" } });
    expect((research.output as { text: string }).text).toBe(pieces.join(""));
  });

  it("lets an agent call search_knowledge through the Responses function-call events and answer from its result", async () => {
    const { callers, team } = await responsesTeam();
    await createKnowledgeDocument(callers.user, { json: { title: "Keepers' log", text: "Lighthouse keepers trimmed the wicks at dusk." } });
    const task = await createTask(callers.user, { prompt: "Research lighthouse keepers' routines. [knowledge]", cache: false });
    expect(await waitForTaskStatus(task.id, ["completed", "failed"], 45_000)).toBe("completed");

    const research = wire.requests.filter(
      (request) => isResearch(request.body) && responsesRequestText(request.body).includes("[knowledge]"),
    );
    expect(research).toHaveLength(2);
    expect(research[0]!.body.tools?.map((tool) => tool.name)).toContain("search_knowledge");
    // The follow-up carries the call and its output in full (store: false), not a reference to a stored item.
    const call = research[1]!.body.input.find((item) => item.type === "function_call");
    const output = research[1]!.body.input.find((item) => item.type === "function_call_output");
    expect(call).toMatchObject({
      type: "function_call",
      name: "search_knowledge",
      arguments: JSON.stringify({ query: "lighthouse keepers" }),
    });
    expect(output).toMatchObject({ call_id: (call as { call_id: string }).call_id });
    expect(JSON.stringify(output)).toContain("trimmed the wicks at dusk");
    expect(research[1]!.body.input.some((item) => item.type === "item_reference")).toBe(false);

    const toolCalls = await getDb().toolCall.findMany({ where: { taskId: task.id, teamId: team.id } });
    expect(toolCalls).toHaveLength(1);
    expect(toolCalls[0]).toMatchObject({ tool: "search_knowledge", input: { query: "lighthouse keepers" }, status: "succeeded" });
    const execution = await getDb().agentExecution.findUniqueOrThrow({ where: { id: toolCalls[0]!.executionId } });
    expect(execution).toMatchObject({ status: "completed", inputTokens: 2 * STREAM_USAGE.input, outputTokens: 8 + STREAM_USAGE.output });
  });

  it("falls back from a 500 and from a 429, and alone reports the 429 as retried after the server's Retry-After", async () => {
    const withBackup = await responsesTeam({ withBackup: true });
    for (const marker of ["SERVER-ERROR", "RATE-LIMITED"]) {
      const { result, route, links } = await callThroughChain(withBackup.team.id, `${marker}: say something`);
      expect(result?.modelId).toBe("backup-model");
      expect(result?.text).toBe("# Notes\n\n- One finding.\n- Another finding.\n");
      expect(route).toEqual({
        answeredBy: links[1]!.key,
        skipped: [
          { key: links[0]!.key, reason: expect.stringMatching(marker === "SERVER-ERROR" ? /answered HTTP 500/ : /answered HTTP 429/) },
        ],
      });
    }

    const alone = await responsesTeam();
    const rateLimited = await callThroughChain(alone.team.id, "RATE-LIMITED: say something");
    expect(classifyModelError(rateLimited.error)).toEqual({ retriable: true, retryAfterMs: 2000 });
    expect(describeModelError(rateLimited.error)).toMatch(
      /^The model server at 127\.0\.0\.1:\d+ answered HTTP 429 \(rate limited\); retried$/,
    );
    const failed = await callThroughChain(alone.team.id, "SERVER-ERROR: say something");
    expect(classifyModelError(failed.error)).toEqual({ retriable: true });
    expect(failed.breakers.state(failed.links[0]!.key).consecutiveFailures).toBe(1);
  });

  it("cuts off a stall after the first chunk with the same message as over Chat Completions", async () => {
    const { team } = await responsesTeam({ stallTimeoutMs: 500 });
    const { error, streamed } = await callThroughChain(team.id, "ONE-CHUNK-THEN-STALL: say something");
    await wire.foreverStreamClosed();
    expect(streamed).toEqual([pieces[0]]);
    expect(error).toBeInstanceOf(ModelDeadlineExceeded);
    expect(describeModelError(error)).toBe("The model stopped responding (no output for 0.5 s); retried");
  });

  it("serves the instance's provider through the Responses API when OPENAI_API=responses", async () => {
    const { team } = await createTeamWithMembers();
    process.env.OPENAI_BASE_URL = wire.baseURL;
    process.env.OPENAI_API = "responses";
    try {
      const [link] = await resolveModelChain(team.id, { role: "agent", agentKind: "research" });
      expect(link!.model.provider).toBe("openai-compatible.responses");
      const before = wire.requests.length;
      const result = await runTextStream({ model: link!.model, system: "You are a test.", prompt: "Instance-wide Responses call." });
      expect(result.text).toBe(pieces.join(""));
      expect(wire.requests.slice(before).map((request) => request.url)).toEqual(["/v1/responses"]);
      delete process.env.OPENAI_API;
      const [chat] = await resolveModelChain(team.id, { role: "agent", agentKind: "research" });
      expect(chat!.model.provider).toBe("openai-compatible.chat");
    } finally {
      delete process.env.OPENAI_BASE_URL;
      delete process.env.OPENAI_API;
    }
  });
});

describe("the api setting", () => {
  async function rest(key: string, method: string, path: string, body?: unknown) {
    const response = await fetch(`${api.baseURL}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, json: JSON.parse(text) as Record<string, unknown> & { error?: { field?: string } } };
  }

  it("is validated (400 naming api), shown in the provider view, changeable, and never brings the key along", async () => {
    const { team } = await createTeamWithMembers();
    const admin = (await createApiKey({ teamId: team.id, role: "admin", name: "admin" })).key;
    const key = `sk-view-${randomBytes(10).toString("hex")}`;

    const unknown = await rest(admin, "POST", "/api/v1/model-providers", {
      name: "bad-api",
      kind: "openai",
      apiKey: key,
      api: "assistants",
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatchObject({ code: "bad_request", field: "api" });
    const anthropic = await rest(admin, "POST", "/api/v1/model-providers", {
      name: "claude",
      kind: "anthropic",
      apiKey: key,
      api: "responses",
    });
    expect(anthropic.status).toBe(400);
    expect(anthropic.json.error).toMatchObject({ code: "bad_request", field: "api" });
    expect(anthropic.text).not.toContain(key);

    const plain = await rest(admin, "POST", "/api/v1/model-providers", { name: "plain", kind: "openai", apiKey: key });
    expect(plain.status).toBe(201);
    expect(plain.json).toMatchObject({ api: "chat_completions", keyLast4: key.slice(-4) });
    const created = await rest(admin, "POST", "/api/v1/model-providers", {
      name: "responses",
      kind: "openai",
      apiKey: key,
      api: "responses",
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ api: "responses", hasKey: true });
    expect(created.text).not.toContain(key);

    const id = created.json.id as string;
    const changed = await rest(admin, "PUT", `/api/v1/model-providers/${id}`, { api: "chat_completions" });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ api: "chat_completions" });
    const toAnthropic = await rest(admin, "PUT", `/api/v1/model-providers/${id}`, { kind: "anthropic", api: "responses", apiKey: key });
    expect(toAnthropic.json.error).toMatchObject({ field: "api" });

    const listed = await rest(admin, "GET", "/api/v1/model-providers");
    expect(listed.status).toBe(200);
    expect((listed.json.providers as Array<{ name: string; api: string }>).map((provider) => [provider.name, provider.api]).sort()).toEqual(
      [
        ["plain", "chat_completions"],
        ["responses", "chat_completions"],
      ],
    );
    expect(listed.text).not.toContain(key);
  });
});
