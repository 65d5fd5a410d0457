import { createOpenAI } from "@ai-sdk/openai";
import { APICallError, generateText } from "ai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readModelBreaker } from "@/server/db/queries/model-breakers";
import { BreakerRegistry } from "@/server/llm/breaker";
import { withFallback, type ModelRoute } from "@/server/llm/fallback";
import { classifyModelError, describeModelError, ModelDeadlineExceeded } from "@/server/llm/model-errors";
import type { ModelLink } from "@/server/llm/model-link";
import { createOfflineModel, OFFLINE_MODEL_ID } from "@/server/llm/offline-model";
import { runTextStream } from "@/server/llm/run-text-stream";
import { startOpenAiWireServer } from "../support/openai-wire-server";

/**
 * A team's model list with fallback and a circuit breaker per link, through the real OpenAI
 * provider against two local servers speaking its wire format: a failing first model is passed
 * over (and after 5 failures not even tried), its breaker's state reaches a second process through
 * Postgres, half-opens after the reset time and closes on a success; a refused key falls back
 * too; once output has streamed the call cannot switch; when everything fails the last error
 * propagates.
 */
type Mode = "ok" | "fail" | "refuse" | "hang" | "stall-after-output";
let primaryMode: Mode = "ok";
let secondaryMode: Mode = "ok";
const replyFor = (mode: Mode) => {
  if (mode === "fail") return { status: 500, message: "upstream exploded" };
  if (mode === "refuse") return { status: 401, message: "Incorrect API key provided: sk-secret-bad-key" };
  if (mode === "hang") return { hang: true as const };
  if (mode === "stall-after-output") return { stallAfterPieces: 1 };
  return undefined;
};

let primary: Awaited<ReturnType<typeof startOpenAiWireServer>>;
let secondary: Awaited<ReturnType<typeof startOpenAiWireServer>>;
beforeAll(async () => {
  primary = await startOpenAiWireServer({ model: "primary-answered", respond: () => replyFor(primaryMode) });
  secondary = await startOpenAiWireServer({ model: "secondary-answered", respond: () => replyFor(secondaryMode) });
});
afterAll(async () => {
  await primary.close();
  await secondary.close();
});

const registries: BreakerRegistry[] = [];
afterEach(() => {
  primaryMode = "ok";
  secondaryMode = "ok";
  for (const registry of registries.splice(0)) registry.shutdown();
});

/** A registry as a server process would hold one; each test uses its own link keys, so their rows do not meet. */
function registry(resetMs = 60_000) {
  const created = new BreakerRegistry({ failureThreshold: 5, resetMs, sharedReadCacheMs: 0 });
  registries.push(created);
  return created;
}

function link(server: typeof primary, key: string, modelId: string): ModelLink {
  return {
    key,
    label: key,
    model: createOpenAI({ baseURL: server.baseURL, apiKey: "not-needed" }).chat(modelId),
    limits: { connectTimeoutMs: 400, stallTimeoutMs: 400 },
  };
}

function linksFor(test: string): ModelLink[] {
  return [link(primary, `${test}:openai:primary`, "primary-requested"), link(secondary, `${test}:openai:secondary`, "secondary-requested")];
}

async function call(links: ModelLink[], breakers: BreakerRegistry) {
  const routes: ModelRoute[] = [];
  const result = await runTextStream({
    model: withFallback(links, { breakers, onRoute: (route) => routes.push(route) }),
    system: "You are a test.",
    prompt: "Say something.",
  });
  return { result, route: routes[0] };
}

async function until(condition: () => boolean | Promise<boolean>, what: string) {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("withFallback", () => {
  it("opens a failing model's breaker after 5 failures, then goes straight to the fallback, in this process and another", async () => {
    const links = linksFor("opens");
    const [failing, fallback] = links as [ModelLink, ModelLink];
    const breakers = registry();
    primaryMode = "fail";
    const primaryBefore = primary.requests.length;
    for (let attempt = 1; attempt <= 5; attempt++) {
      const { result, route } = await call(links, breakers);
      expect(result.modelId).toBe("secondary-answered");
      expect(route).toEqual({
        answeredBy: fallback.key,
        skipped: [{ key: failing.key, reason: expect.stringMatching(/^failed: The model server at 127\.0\.0\.1:\d+ answered HTTP 500/) }],
      });
    }
    expect(primary.requests.length - primaryBefore).toBe(5);
    expect(breakers.state(failing.key)).toMatchObject({ state: "open", consecutiveFailures: 5 });

    const { route } = await call(links, breakers);
    expect(route?.skipped).toEqual([{ key: failing.key, reason: expect.stringMatching(/^circuit open since \d{4}-\d\d-\d\dT/) }]);
    expect(primary.requests.length - primaryBefore).toBe(5);

    // Another process: its own registry, reading the row this one wrote (written after the open, not awaited by calls).
    await until(async () => (await readModelBreaker(failing.key))?.state === "open", "the open state to be shared");
    expect(await readModelBreaker(failing.key)).toMatchObject({ state: "open", consecutiveFailures: 5 });
    const otherProcess = registry();
    const other = await call(links, otherProcess);
    expect(other.route?.skipped[0]?.reason).toMatch(/^circuit open since/);
    expect(otherProcess.state(failing.key).state).toBe("open");
    expect(primary.requests.length - primaryBefore).toBe(5);
  });

  it("half-opens after the reset time and closes when the trial call succeeds", async () => {
    const links = linksFor("half-open");
    const failing = links[0]!;
    const breakers = registry(300);
    primaryMode = "fail";
    for (let attempt = 1; attempt <= 5; attempt++) await call(links, breakers);
    expect(breakers.state(failing.key).state).toBe("open");

    await until(() => breakers.state(failing.key).state === "half-open", "the breaker to half-open");
    primaryMode = "ok";
    const { result, route } = await call(links, breakers);
    expect(route).toEqual({ answeredBy: failing.key, skipped: [] });
    expect(result.modelId).toBe("primary-answered");
    expect(breakers.state(failing.key)).toMatchObject({ state: "closed", consecutiveFailures: 0 });
    await until(async () => (await readModelBreaker(failing.key))?.state === "closed", "the close to be shared");
    expect(await readModelBreaker(failing.key)).toMatchObject({ state: "closed", consecutiveFailures: 0, openedAt: null });
  });

  it("falls back from a refused key and says so, without the provider's text", async () => {
    const links = linksFor("refused");
    primaryMode = "refuse";
    const { result, route } = await call(links, registry());
    expect(result.modelId).toBe("secondary-answered");
    expect(route?.skipped[0]?.reason).toMatch(/^refused, not worth retrying there: .*answered HTTP 401 \(the API key was refused\)$/);
    expect(JSON.stringify(route)).not.toContain("sk-secret-bad-key");
  });

  it("falls back from a model server that never starts answering", async () => {
    const links = linksFor("connect");
    primaryMode = "hang";
    const { result, route } = await call(links, registry());
    await primary.foreverStreamClosed();
    expect(result.modelId).toBe("secondary-answered");
    expect(route?.skipped[0]?.reason).toBe("failed: The model server did not start answering within 0.4 s");
  });

  it("does not switch once output has streamed: the stall propagates and the fallback is never asked", async () => {
    const links = linksFor("streamed");
    primaryMode = "stall-after-output";
    const secondaryBefore = secondary.requests.length;
    const breakers = registry();
    const error = await call(links, breakers).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelDeadlineExceeded);
    expect(secondary.requests.length).toBe(secondaryBefore);
    // The failure still counts against the model that stalled.
    expect(breakers.state(links[0]!.key).consecutiveFailures).toBe(1);
  });

  it("falls back for a non-streamed call too, reporting the model that answered", async () => {
    const links = linksFor("generate");
    primaryMode = "fail";
    const routes: ModelRoute[] = [];
    const result = await generateText({
      model: withFallback(links, { breakers: registry(), onRoute: (route) => routes.push(route) }),
      prompt: "Plan something.",
      maxRetries: 0,
    });
    expect(result.response.modelId).toBe("secondary-answered");
    expect(routes[0]?.answeredBy).toBe(links[1]!.key);
  });

  it("propagates the last link's error, classified as before, when every link fails", async () => {
    const links = linksFor("all-fail");
    primaryMode = "fail";
    secondaryMode = "fail";
    const error = await call(links, registry()).catch((caught: unknown) => caught);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(classifyModelError(error)).toEqual({ retriable: true });
    expect(describeModelError(error)).toContain(new URL(secondary.baseURL).host);
  });

  it("fails at once, as transient, when every link's breaker is open", async () => {
    const links = linksFor("all-open");
    const breakers = registry();
    primaryMode = "fail";
    secondaryMode = "fail";
    for (let attempt = 1; attempt <= 5; attempt++) await call(links, breakers).catch(() => undefined);
    const before = primary.requests.length + secondary.requests.length;
    const error = await call(links, breakers).catch((caught: unknown) => caught);
    expect(primary.requests.length + secondary.requests.length).toBe(before);
    // Retried when the first breaker half-opens (the reset time, 60 s here, from its opening).
    expect(classifyModelError(error)).toEqual({ retriable: true, retryAfterMs: expect.any(Number) });
    const { retryAfterMs } = classifyModelError(error) as { retryAfterMs: number };
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    expect((error as Error).message).toMatch(/^No model is available: .*circuit open since/);
  });

  it("works with the offline model, alone or as the fallback, and reports it as the model that answered", async () => {
    const offline: ModelLink = { key: "offline:offline:offline", label: "Offline", model: createOfflineModel({ tokenDelayMs: 0 }) };
    const direct = await runTextStream({
      model: createOfflineModel({ tokenDelayMs: 0 }),
      system: "You are a test.",
      prompt: "Say something.",
    });
    const alone = await call([offline], registry());
    expect(alone.result.text).toBe(direct.text);
    expect(alone.result.modelId).toBe(OFFLINE_MODEL_ID);

    primaryMode = "fail";
    const behind = await call([linksFor("offline")[0]!, offline], registry());
    expect(behind.route?.answeredBy).toBe(offline.key);
    expect(behind.result.modelId).toBe(OFFLINE_MODEL_ID);
    expect(behind.result.text).toBe(direct.text);
  });
});
