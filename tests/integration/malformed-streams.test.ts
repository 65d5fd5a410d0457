import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import type { LanguageModelV3 } from "@ai-sdk/provider";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { BreakerRegistry } from "@/server/llm/breaker";
import { withFallback, type ModelRoute } from "@/server/llm/fallback";
import {
  classifyModelError,
  describeModelError,
  ModelStreamFailed,
  ModelStreamMalformed,
  reportModelError,
} from "@/server/llm/model-errors";
import type { ModelLink } from "@/server/llm/model-link";
import { createOfflineModel, OFFLINE_MODEL_ID } from "@/server/llm/offline-model";
import { runTextStream } from "@/server/llm/run-text-stream";
import { settleUsageRecords, withUsageRecording } from "@/server/llm/usage-recording";
import { createTask } from "@/server/tasks/tasks";
import { startAnthropicWireServer } from "../support/anthropic-wire-server";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { startOpenAiResponsesWireServer } from "../support/openai-responses-wire-server";
import { startOpenAiWireServer, useOpenAiWireServer } from "../support/openai-wire-server";

/**
 * Malformed streams from all three wire formats (Chat Completions, Responses, Anthropic Messages),
 * through the real AI SDK providers: an event that is not JSON or not of the format's shape after
 * some good pieces, and a proxy's HTML error page sent as `text/event-stream`. Each call fails —
 * never "completes" empty — with a message saying the provider sent a malformed stream and quoting
 * nothing it sent; what streamed before is kept; the usage row is `failed`; the breaker counts it;
 * and a fallback answers when nothing had streamed yet. In a task, the failed attempt keeps its
 * partial output and the retry completes.
 */
const pieces = ["# Partial finding\n\n", "- never sent.\n"];
type Malformed =
  | { malformedAfterPieces: number; malformed?: "not-json" | "wrong-shape" }
  | { htmlEventStream: true }
  | { errorAfterPieces: number }
  | { failedAfterPieces: number }
  | { dropAfterPieces: number };
/** Which malformed reply each server gives next. */
let reply: Malformed = { malformedAfterPieces: 1 };

let chat: Awaited<ReturnType<typeof startOpenAiWireServer>>;
let responses: Awaited<ReturnType<typeof startOpenAiResponsesWireServer>>;
let anthropic: Awaited<ReturnType<typeof startAnthropicWireServer>>;
beforeAll(async () => {
  // Each server is given only the replies its format has (response.failed is the Responses API's own).
  chat = await startOpenAiWireServer({
    pieces,
    respond: (request) => (request.stream && !("failedAfterPieces" in reply) ? reply : undefined),
  });
  responses = await startOpenAiResponsesWireServer({ pieces, respond: (request) => (request.stream ? reply : undefined) });
  anthropic = await startAnthropicWireServer({
    pieces,
    respond: () => ("failedAfterPieces" in reply || "dropAfterPieces" in reply ? undefined : reply),
  });
});
afterAll(async () => {
  await Promise.all([chat?.close(), responses?.close(), anthropic?.close()]);
});

const registries: BreakerRegistry[] = [];
afterEach(() => {
  for (const registry of registries.splice(0)) registry.shutdown();
});

const formats: Array<[string, () => LanguageModelV3]> = [
  ["Chat Completions", () => createOpenAI({ baseURL: chat.baseURL, apiKey: "not-needed" }).chat("wire-model")],
  ["Responses", () => createOpenAI({ baseURL: responses.baseURL, apiKey: "not-needed" }).responses("wire-model")],
  ["Anthropic Messages", () => createAnthropic({ baseURL: anthropic.baseURL, apiKey: "not-needed" })("claude-wire-model")],
];
const malformations: Array<[string, Malformed, string[]]> = [
  ["a line that is not JSON after a piece", { malformedAfterPieces: 1 }, [pieces[0]!]],
  ["an event of the wrong shape after a piece", { malformedAfterPieces: 1, malformed: "wrong-shape" }, [pieces[0]!]],
  ["a proxy's HTML error page as an event stream", { htmlEventStream: true }, []],
];

let calls = 0;
/** One streamed call through Chorus's model path (fallback, breaker, usage recording), as a step makes it. */
async function call(models: Array<{ key: string; model: LanguageModelV3 }>, teamId: string) {
  const breakers = new BreakerRegistry({ failureThreshold: 5, resetMs: 60_000, sharedReadCacheMs: 0 });
  registries.push(breakers);
  const routes: ModelRoute[] = [];
  const links: ModelLink[] = models.map(({ key, model }) => ({ key: `${key}:${++calls}`, label: key, model }));
  const model = withUsageRecording(withFallback(links, { breakers, onRoute: (route) => routes.push(route) }), { teamId, role: "agent" });
  const streamed: string[] = [];
  try {
    const result = await runTextStream({
      model,
      system: "You are a test.",
      prompt: "Say something.",
      onDelta: (text) => streamed.push(text),
    });
    return { result, error: undefined, streamed, routes, breakers, links };
  } catch (error) {
    return { result: undefined, error, streamed, routes, breakers, links };
  }
}

describe("a malformed stream", () => {
  for (const [format, model] of formats) {
    for (const [what, malformed, expectedStreamed] of malformations) {
      it(`over ${format}: ${what} fails the call clearly, keeps what streamed, is a failed usage row and a breaker failure`, async () => {
        reply = malformed;
        const { team } = await createTeamWithMembers();
        const { error, streamed, breakers, links } = await call([{ key: "only", model: model() }], team.id);

        expect(error).toBeInstanceOf(ModelStreamMalformed);
        expect(classifyModelError(error)).toEqual({ retriable: true });
        const message = describeModelError(error);
        expect(message).toMatch(/^The model server sent a malformed stream \(.+\); retried$/);
        const reported = reportModelError(error)!;
        // The reference is random hex and may contain "42" by chance; look for leaks in the rest of the message.
        const withoutReference = reported.message.replace(/\(reference [0-9a-f]+\)/, "");
        for (const leak of ["not json", "42", "Bad Gateway", "<html>"]) expect(withoutReference).not.toContain(leak);
        expect(streamed).toEqual(expectedStreamed);
        expect(breakers.state(links[0]!.key).consecutiveFailures).toBe(1);

        await settleUsageRecords();
        const rows = await getDb().modelCall.findMany({ where: { teamId: team.id } });
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ outcome: "failed" });
      });
    }

    it(`over ${format}: falls back to the next model when the stream was malformed before any output`, async () => {
      const { team } = await createTeamWithMembers();
      const offline = createOfflineModel({ tokenDelayMs: 0 });
      for (const malformed of [{ malformedAfterPieces: 0 }, { htmlEventStream: true }] as const) {
        reply = malformed;
        const { result, routes, links, breakers } = await call(
          [
            { key: "malformed", model: model() },
            { key: "offline", model: offline },
          ],
          team.id,
        );
        expect(result?.modelId).toBe(OFFLINE_MODEL_ID);
        expect(result?.text.length).toBeGreaterThan(0);
        expect(routes[0]).toEqual({
          answeredBy: links[1]!.key,
          skipped: [{ key: links[0]!.key, reason: expect.stringMatching(/^failed: The model server sent a malformed stream \(/) }],
        });
        expect(breakers.state(links[0]!.key).consecutiveFailures).toBe(1);
      }
    });
  }

  it("leaves an empty but well-formed answer alone (a stream with the provider's events and no text is not malformed)", async () => {
    const empty = await startOpenAiWireServer({ pieces: [] });
    try {
      const { team } = await createTeamWithMembers();
      const { result, error } = await call(
        [{ key: "empty", model: createOpenAI({ baseURL: empty.baseURL, apiKey: "x" }).chat("m") }],
        team.id,
      );
      expect(error).toBeUndefined();
      expect(result?.text).toBe("");
    } finally {
      await empty.close();
    }
  });
});

describe("an error the provider reports mid-stream", () => {
  const reported: Array<[string, () => LanguageModelV3, Malformed, RegExp]> = [
    [
      "Chat Completions",
      formats[0]![1],
      { errorAfterPieces: 1 },
      /^The model server reported an error mid-stream \(server_error\); retried$/,
    ],
    ["Responses", formats[1]![1], { errorAfterPieces: 1 }, /^The model server reported an error mid-stream \(server_error\); retried$/],
    [
      "Responses (response.failed)",
      formats[1]![1],
      { failedAfterPieces: 1 },
      /^The model server reported an error mid-stream \(server_error\); retried$/,
    ],
    [
      "Anthropic Messages",
      formats[2]![1],
      { errorAfterPieces: 1 },
      /^The model server reported an error mid-stream \(overloaded_error\); retried$/,
    ],
  ];
  for (const [format, model, given, expected] of reported) {
    it(`over ${format}: fails with the error's code, never "[object Object]" nor the provider's text, and keeps what streamed`, async () => {
      reply = given;
      const { team } = await createTeamWithMembers();
      const { error, streamed, breakers, links } = await call([{ key: "reported", model: model() }], team.id);
      expect(error).toBeInstanceOf(ModelStreamFailed);
      expect(describeModelError(error)).toMatch(expected);
      const message = reportModelError(error)!.message;
      for (const leak of ["[object Object]", "The server had an error", "failed to finish", "Overloaded"])
        expect(message).not.toContain(leak);
      expect(streamed).toEqual([pieces[0]]);
      expect(breakers.state(links[0]!.key).consecutiveFailures).toBe(1);
    });
  }

  it("says a dropped connection broke off the answer, not that the request was refused", async () => {
    reply = { dropAfterPieces: 1 };
    const { team } = await createTeamWithMembers();
    for (const model of [formats[0]![1], formats[1]![1]]) {
      const { error, streamed } = await call([{ key: "dropped", model: model() }], team.id);
      expect(describeModelError(error)).toMatch(/^The model server at 127\.0\.0\.1:\d+ broke off its answer mid-stream; retried$/);
      expect(streamed).toEqual([pieces[0]]);
    }
  });
});

describe("a malformed stream in a task", () => {
  let malformedOnce = 0;
  const wire = useOpenAiWireServer({
    pieces,
    respond: (request) => {
      const system = request.messages.find((message) => message.role === "system")?.content ?? "";
      if (request.stream && /research agent/i.test(system) && malformedOnce++ === 0) return { malformedAfterPieces: 1 };
      return undefined;
    },
  });
  useEmbeddedExecutor(8);

  it("fails the attempt with the malformed-stream message, keeps its partial output, and the retry completes", async () => {
    const { callers, team } = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "Research rainwater tanks.", cache: false });
    expect(await waitForTaskStatus(task.id, ["completed", "failed"], 45_000)).toBe("completed");
    expect(wire.requests.length).toBeGreaterThan(0);
    const research = await getDb().agentExecution.findMany({
      where: { taskId: task.id, teamId: team.id, agentKind: "research" },
      orderBy: { attempt: "asc" },
    });
    expect(research[0]).toMatchObject({ attempt: 1, status: "failed", output: { text: pieces[0], partial: true } });
    expect(research[0]!.error).toMatch(
      /^The model server sent a malformed stream \(an event not in the provider's format\); retried \(reference [0-9a-f]{8}\)$/,
    );
    expect(research.at(-1)).toMatchObject({ status: "completed" });
    await settleUsageRecords();
    const failedCalls = await getDb().modelCall.findMany({ where: { taskId: task.id, outcome: "failed" } });
    expect(failedCalls).toHaveLength(1);
  });
});
