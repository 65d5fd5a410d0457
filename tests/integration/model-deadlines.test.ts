import { createOpenAI } from "@ai-sdk/openai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isAbortError } from "@/server/llm/abort";
import { withDeadlines, type CallLimits } from "@/server/llm/deadlines";
import { classifyModelError, describeModelError, ModelDeadlineExceeded, reportModelError } from "@/server/llm/model-errors";
import { createOfflineModel } from "@/server/llm/offline-model";
import { runTextStream } from "@/server/llm/run-text-stream";
import { startOpenAiWireServer } from "../support/openai-wire-server";

/**
 * Deadlines on a model call, through the real OpenAI provider against a local server speaking
 * its wire format: a provider that sends one chunk and then nothing, one that never answers and
 * one that takes too long in all are cut off (the connection closed) with a message saying which;
 * one that answers slowly but steadily is not; a cancel stays a cancel.
 */
const pieces = Array.from({ length: 10 }, (_, index) => `piece ${index}. `);
let wire: Awaited<ReturnType<typeof startOpenAiWireServer>>;

beforeAll(async () => {
  wire = await startOpenAiWireServer({
    model: "wire-model",
    pieces,
    respond: (request) => {
      const marker = request.messages.map((message) => message.content).join(" ");
      if (marker.includes("ONE-CHUNK-THEN-HANG")) return { stallAfterPieces: 1 };
      if (marker.includes("NEVER-ANSWER")) return { hang: true };
      if (marker.includes("SLOW-BUT-STEADY")) return { pauseMs: 300 };
      if (marker.includes("TOO-LONG")) return { pauseMs: 100 };
      return undefined;
    },
  });
});
afterAll(() => wire.close());

const wireModel = (limits: CallLimits) =>
  withDeadlines(createOpenAI({ baseURL: wire.baseURL, apiKey: "not-needed" }).chat("wire-model"), limits);

async function run(prompt: string, limits: CallLimits, abortSignal?: AbortSignal, onDelta?: (text: string) => void) {
  const streamed: string[] = [];
  try {
    const result = await runTextStream({
      model: wireModel(limits),
      system: "You are a test.",
      prompt,
      abortSignal,
      onDelta: (text) => {
        streamed.push(text);
        onDelta?.(text);
      },
    });
    return { result, streamed, error: undefined };
  } catch (error) {
    return { result: undefined, streamed, error };
  }
}

describe("withDeadlines", () => {
  it("cuts off a provider that sends one chunk and then nothing, closes its connection, and says it stopped responding", async () => {
    const { error, streamed } = await run("ONE-CHUNK-THEN-HANG", { stallTimeoutMs: 500 });
    await wire.foreverStreamClosed();
    expect(streamed).toEqual([pieces[0]]);
    expect(error).toBeInstanceOf(ModelDeadlineExceeded);
    expect(classifyModelError(error)).toEqual({ retriable: true });
    expect(describeModelError(error)).toBe("The model stopped responding (no output for 0.5 s); retried");
  });

  it("cuts off a provider that never starts answering", async () => {
    const { error, streamed } = await run("NEVER-ANSWER", { connectTimeoutMs: 400 });
    await wire.foreverStreamClosed();
    expect(streamed).toEqual([]);
    expect(describeModelError(error)).toBe("The model server did not start answering within 0.4 s; retried");
  });

  it("cuts off a call that streams steadily but goes past the overall deadline", async () => {
    const { error, streamed } = await run("TOO-LONG", { stallTimeoutMs: 5_000, overallTimeoutMs: 450 });
    expect(streamed.length).toBeGreaterThan(0);
    expect(streamed.length).toBeLessThan(pieces.length);
    expect(describeModelError(error)).toBe("The model did not finish within 0.5 s; retried");
  });

  it("lets a model that answers slowly but steadily finish (10 pieces 300 ms apart, stall limit 1 s)", async () => {
    const { result, error } = await run("SLOW-BUT-STEADY", { stallTimeoutMs: 1_000 });
    expect(error).toBeUndefined();
    expect(result?.text).toBe(pieces.join(""));
    expect(result?.modelId).toBe("wire-model");
  });

  it("keeps a cancel during a stall an AbortError, not a timeout, and closes the connection", async () => {
    const cancel = new AbortController();
    const { error, streamed } = await run("ONE-CHUNK-THEN-HANG", { stallTimeoutMs: 60_000 }, cancel.signal, () => cancel.abort());
    await wire.foreverStreamClosed();
    expect(streamed).toEqual([pieces[0]]);
    expect(isAbortError(error)).toBe(true);
    expect(error).not.toBeInstanceOf(ModelDeadlineExceeded);
  });

  it("is logged as a timeout, with which deadline passed", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (lines.push(String(chunk)), true));
    try {
      const reported = reportModelError(new ModelDeadlineExceeded("stall", 60_000), { taskId: "t1" });
      expect(reported?.message).toMatch(/^The model stopped responding \(no output for 60 s\); retried \(reference [0-9a-f]{8}\)$/);
      expect(reported?.failure).toEqual({ retriable: true });
    } finally {
      spy.mockRestore();
    }
    const logged = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.message === "a model call timed out");
    expect(logged).toMatchObject({ deadline: "stall", limitMs: 60_000, taskId: "t1" });
  });

  it("leaves the offline model's answer unchanged", async () => {
    const request = { system: "You are the research agent.", prompt: "Compare two databases." };
    const direct = await runTextStream({ ...request, model: createOfflineModel({ tokenDelayMs: 0 }) });
    const wrapped = await runTextStream({
      ...request,
      model: withDeadlines(createOfflineModel({ tokenDelayMs: 0 }), { stallTimeoutMs: 1_000 }),
    });
    expect(wrapped.text).toBe(direct.text);
    expect(wrapped.modelId).toBe(direct.modelId);
    expect(wrapped.usage).toEqual(direct.usage);
  });
});
