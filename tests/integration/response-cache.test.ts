import type { LanguageModelV3 } from "@ai-sdk/provider";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText } from "ai";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getDb } from "@/server/db/client";
import { createOfflineModel } from "@/server/llm/offline-model";
import { cacheCounts } from "@/server/llm/cache-counters";
import { forgetCachedResponsesInMemory, settleCacheWrites, withCache } from "@/server/llm/response-cache";
import { createTeamWithMembers } from "../support/fixtures";
import { type ChatRequest, useOpenAiWireServer } from "../support/openai-wire-server";

/**
 * The response cache against the real OpenAI provider and a local Chat Completions server: an
 * identical call of the same team is answered without a request (the server's request count
 * says so), streams the same text, costs nothing and says it was cached; anything that differs,
 * another team, an expired entry, a switched-off cache, an error or an abort goes to the model.
 */
const marker = (request: ChatRequest, text: string) => request.messages.some((message) => String(message.content).includes(text));
const wire = useOpenAiWireServer({
  pieces: ["# Lighthouses\n\n", "- Keepers lived on site.\n", "- Lamps burned oil.\n"],
  respond: (request, index) => {
    if (marker(request, "FAIL-MIDWAY")) return { errorAfterPieces: 2 };
    // The first request asking to stream forever does; later ones answer normally.
    if (marker(request, "ABORT-ONCE") && wire.requests.filter((r) => marker(r, "ABORT-ONCE")).length === 1 && index >= 0)
      return { streamForever: true };
    return undefined;
  },
});

afterEach(() => {
  vi.useRealTimers();
});

const wireModel = (): LanguageModelV3 =>
  createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: "not-needed" }).chat("wire-test-model");
const requestsFor = (text: string) => wire.requests.filter((request) => marker(request, text)).length;

async function streamAnswer(model: LanguageModelV3, prompt: string, extra: { temperature?: number; abortSignal?: AbortSignal } = {}) {
  const result = streamText({ model, prompt, maxRetries: 0, onError: () => {}, ...extra });
  let text = "";
  let cached = false;
  let inputTokens: number | undefined;
  for await (const part of result.fullStream) {
    if (part.type === "text-delta") text += part.text;
    if (part.type === "finish-step") cached = part.providerMetadata?.chorus?.cached === true;
    if (part.type === "finish") inputTokens = part.totalUsage.inputTokens;
    if (part.type === "error") throw part.error;
  }
  return { text, cached, inputTokens };
}

describe("the response cache", () => {
  it("answers an identical call from the cache: no request, the same text streamed, zero usage, marked cached", async () => {
    const { team } = await createTeamWithMembers();
    const before = cacheCounts();
    const first = await streamAnswer(withCache(wireModel(), { teamId: team.id, enabled: true }), "SAME-CALL: tell me about lighthouses");
    const second = await streamAnswer(withCache(wireModel(), { teamId: team.id, enabled: true }), "SAME-CALL: tell me about lighthouses");
    expect(requestsFor("SAME-CALL")).toBe(1);
    expect(first).toMatchObject({
      text: "# Lighthouses\n\n- Keepers lived on site.\n- Lamps burned oil.\n",
      cached: false,
      inputTokens: 40,
    });
    expect(second).toEqual({ text: first.text, cached: true, inputTokens: 0 });
    const after = cacheCounts();
    expect(after.hits - before.hits).toBe(1);
    expect(after.misses - before.misses).toBe(1);
  });

  it("goes to the model when the parameters differ", async () => {
    const { team } = await createTeamWithMembers();
    const model = withCache(wireModel(), { teamId: team.id, enabled: true });
    await streamAnswer(model, "PARAMS: lighthouses", { temperature: 0.2 });
    await streamAnswer(model, "PARAMS: lighthouses", { temperature: 0.7 });
    await streamAnswer(model, "PARAMS: lighthouses", { temperature: 0.7 });
    expect(requestsFor("PARAMS")).toBe(2);
  });

  it("never answers one team with another team's entry", async () => {
    const ours = await createTeamWithMembers();
    const theirs = await createTeamWithMembers();
    await streamAnswer(withCache(wireModel(), { teamId: ours.team.id, enabled: true }), "TEAMS: lighthouses");
    const other = await streamAnswer(withCache(wireModel(), { teamId: theirs.team.id, enabled: true }), "TEAMS: lighthouses");
    expect(other.cached).toBe(false);
    expect(requestsFor("TEAMS")).toBe(2);
  });

  it("tells apart two provider configurations serving the same model id by their ModelLink key", async () => {
    const { team } = await createTeamWithMembers();
    await streamAnswer(
      withCache(wireModel(), { teamId: team.id, enabled: true, modelKey: "config-a:openai-compatible:wire-test-model" }),
      "LINKS: lighthouses",
    );
    const other = await streamAnswer(
      withCache(wireModel(), { teamId: team.id, enabled: true, modelKey: "config-b:openai-compatible:wire-test-model" }),
      "LINKS: lighthouses",
    );
    expect(other.cached).toBe(false);
    expect(requestsFor("LINKS")).toBe(2);
  });

  it("shares entries through Postgres: a process that never saw the call answers it from the store", async () => {
    const { team } = await createTeamWithMembers();
    await streamAnswer(withCache(wireModel(), { teamId: team.id, enabled: true }), "SHARED: lighthouses");
    await settleCacheWrites();
    expect(await getDb().llmCacheEntry.count({ where: { teamId: team.id } })).toBe(1);
    forgetCachedResponsesInMemory();
    const before = cacheCounts();
    const again = await streamAnswer(withCache(wireModel(), { teamId: team.id, enabled: true }), "SHARED: lighthouses");
    expect(again.cached).toBe(true);
    expect(requestsFor("SHARED")).toBe(1);
    expect(cacheCounts().storeHits - before.storeHits).toBe(1);
  });

  it("ignores an entry once its time to live has passed, in memory and in the store", async () => {
    const { team } = await createTeamWithMembers();
    const model = withCache(wireModel(), { teamId: team.id, enabled: true, ttlSeconds: 60 });
    await streamAnswer(model, "TTL: lighthouses");
    await settleCacheWrites();
    expect((await streamAnswer(model, "TTL: lighthouses")).cached).toBe(true);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 61_000);
    expect((await streamAnswer(model, "TTL: lighthouses")).cached).toBe(false);
    expect(requestsFor("TTL")).toBe(2);
  });

  it("is skipped entirely when switched off (the team's or the task's switch)", async () => {
    const { team } = await createTeamWithMembers();
    const model = withCache(wireModel(), { teamId: team.id, enabled: false });
    await streamAnswer(model, "OFF: lighthouses");
    expect((await streamAnswer(model, "OFF: lighthouses")).cached).toBe(false);
    expect(requestsFor("OFF")).toBe(2);
    expect(await getDb().llmCacheEntry.count({ where: { teamId: team.id } })).toBe(0);
  });

  it("stores no failed stream: the same call goes to the model again", async () => {
    const { team } = await createTeamWithMembers();
    const model = withCache(wireModel(), { teamId: team.id, enabled: true });
    await expect(streamAnswer(model, "FAIL-MIDWAY: lighthouses")).rejects.toThrow();
    await expect(streamAnswer(model, "FAIL-MIDWAY: lighthouses")).rejects.toThrow();
    expect(requestsFor("FAIL-MIDWAY")).toBe(2);
    await settleCacheWrites();
    expect(await getDb().llmCacheEntry.count({ where: { teamId: team.id } })).toBe(0);
  });

  it("stores no aborted stream, and stores the complete answer that follows", async () => {
    const { team } = await createTeamWithMembers();
    const model = withCache(wireModel(), { teamId: team.id, enabled: true });
    const controller = new AbortController();
    const result = streamText({
      model,
      prompt: "ABORT-ONCE: lighthouses",
      maxRetries: 0,
      abortSignal: controller.signal,
      onError: () => {},
    });
    for await (const part of result.fullStream) {
      if (part.type === "text-delta") controller.abort();
    }
    expect((await streamAnswer(model, "ABORT-ONCE: lighthouses")).cached).toBe(false);
    expect((await streamAnswer(model, "ABORT-ONCE: lighthouses")).cached).toBe(true);
    expect(requestsFor("ABORT-ONCE")).toBe(2);
  });

  it("caches generate calls (the planner's) too", async () => {
    const { team } = await createTeamWithMembers();
    const model = withCache(wireModel(), { teamId: team.id, enabled: true });
    const first = await generateText({ model, prompt: "GENERATE: plan lighthouses", maxRetries: 0 });
    const second = await generateText({ model, prompt: "GENERATE: plan lighthouses", maxRetries: 0 });
    expect(requestsFor("GENERATE")).toBe(1);
    expect(second.text).toBe(first.text);
    expect(second.providerMetadata?.chorus?.cached).toBe(true);
    expect(second.usage.inputTokens).toBe(0);
  });

  it("caches the offline model: a hit never calls it", async () => {
    const { team } = await createTeamWithMembers();
    const offline = createOfflineModel({ tokenDelayMs: 0 });
    let calls = 0;
    // Delegates every call to the real offline model, counting them.
    const counted: LanguageModelV3 = {
      specificationVersion: "v3",
      provider: offline.provider,
      modelId: offline.modelId,
      supportedUrls: offline.supportedUrls,
      doGenerate: (options) => ((calls += 1), offline.doGenerate(options)),
      doStream: (options) => ((calls += 1), offline.doStream(options)),
    };
    const model = withCache(counted, { teamId: team.id, enabled: true });
    const first = await streamAnswer(model, "Research the history of lighthouses.");
    const second = await streamAnswer(model, "Research the history of lighthouses.");
    expect(calls).toBe(1);
    expect(first.text.length).toBeGreaterThan(100);
    expect(second).toEqual({ text: first.text, cached: true, inputTokens: 0 });
  });
});
