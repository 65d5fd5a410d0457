import type { LanguageModelV3 } from "@ai-sdk/provider";
import { createOpenAI } from "@ai-sdk/openai";
import { streamText } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@redis/client";
import { getDb } from "@/server/db/client";
import { closeRedis } from "@/server/db/redis";
import { redisCacheKey } from "@/server/db/queries/model-cache-redis";
import { cacheCounts } from "@/server/llm/cache-counters";
import { forgetCachedResponsesInMemory, settleCacheWrites, withCache } from "@/server/llm/response-cache";
import { createTeamWithMembers } from "../support/fixtures";
import { type ChatRequest, useOpenAiWireServer } from "../support/openai-wire-server";
import { startRedisServer } from "../support/redis-server";

/**
 * The response cache's shared store in Redis (REDIS_URL), against Debian's redis-server and the
 * real OpenAI provider: what one process stored answers another (the in-memory layer cleared), it
 * expires with Redis's own TTL, no LlmCacheEntry row is written, and with Redis gone calls still
 * go to the model — a miss, never a failed call.
 */
const marker = (request: ChatRequest, text: string) => request.messages.some((message) => String(message.content).includes(text));
const wire = useOpenAiWireServer({ pieces: ["# Tides\n\n", "- Spring tides at full moon.\n"] });
const wireModel = (): LanguageModelV3 =>
  createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: "not-needed" }).chat("wire-test-model");
const requestsFor = (text: string) => wire.requests.filter((request) => marker(request, text)).length;

let redis: Awaited<ReturnType<typeof startRedisServer>>;
beforeAll(async () => {
  redis = await startRedisServer();
  process.env.REDIS_URL = redis.url;
});
afterAll(async () => {
  await closeRedis();
  delete process.env.REDIS_URL;
  await redis.stop();
});

async function answer(teamId: string, prompt: string, ttlSeconds?: number) {
  const result = streamText({
    model: withCache(wireModel(), { teamId, enabled: true, ttlSeconds }),
    prompt,
    maxRetries: 0,
    onError: () => {},
  });
  let text = "";
  let cached = false;
  for await (const part of result.fullStream) {
    if (part.type === "text-delta") text += part.text;
    if (part.type === "finish-step") cached = part.providerMetadata?.chorus?.cached === true;
    if (part.type === "error") throw part.error;
  }
  return { text, cached };
}

describe("the response cache in Redis", () => {
  it("answers another process's identical call from Redis, and stores nothing in Postgres", async () => {
    const { team } = await createTeamWithMembers();
    const first = await answer(team.id, "SHARED: tides");
    await settleCacheWrites();
    forgetCachedResponsesInMemory(); // as another process would start
    const before = cacheCounts();
    const second = await answer(team.id, "SHARED: tides");
    expect(second).toEqual({ text: first.text, cached: true });
    expect(requestsFor("SHARED")).toBe(1);
    expect(cacheCounts().storeHits - before.storeHits).toBe(1);
    expect(await getDb().llmCacheEntry.count({ where: { teamId: team.id } })).toBe(0);
    // Another team asking the same is not answered from this team's entry.
    const { team: other } = await createTeamWithMembers();
    expect((await answer(other.id, "SHARED: tides")).cached).toBe(false);
    expect(requestsFor("SHARED")).toBe(2);
  });

  it("lets Redis expire an entry at the cache's TTL", async () => {
    const { team } = await createTeamWithMembers();
    await answer(team.id, "EXPIRING: tides", 60);
    await settleCacheWrites();
    const probe = createClient({ url: redis.url });
    await probe.connect();
    const keys = await probe.keys(`chorus:llm-cache:${team.id}:*`);
    expect(keys).toHaveLength(1);
    const ttl = await probe.pTTL(keys[0]!);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(keys[0]).toBe(redisCacheKey(team.id, keys[0]!.split(":").at(-1)!));
    probe.destroy();
  });

  it("goes to the model when Redis is down: a miss, not a failed call", async () => {
    const { team } = await createTeamWithMembers();
    await redis.stop();
    forgetCachedResponsesInMemory();
    const before = cacheCounts();
    const first = await answer(team.id, "REDIS-DOWN: tides");
    await settleCacheWrites();
    forgetCachedResponsesInMemory();
    const second = await answer(team.id, "REDIS-DOWN: tides");
    expect(first.text).toContain("Spring tides");
    expect(second).toEqual({ text: first.text, cached: false });
    expect(requestsFor("REDIS-DOWN")).toBe(2);
    expect(cacheCounts().misses - before.misses).toBe(2);
  });
});
