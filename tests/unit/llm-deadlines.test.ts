import type { LanguageModelV3, LanguageModelV3StreamPart } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import { hasDeadlines, withDeadlines } from "@/server/llm/deadlines";
import { describeModelError, ModelDeadlineExceeded } from "@/server/llm/model-errors";

/**
 * withDeadlines against models that ignore their abort signal (a provider SDK that never looks
 * at it): the deadlines still end the call, since the wrapper fails the call itself rather than
 * waiting for the provider to notice. And the messages members see for each deadline.
 */
function model(behaviour: {
  neverStart?: boolean;
  parts?: LanguageModelV3StreamPart[];
  thenHang?: boolean;
  gapMs?: number;
}): LanguageModelV3 {
  return {
    specificationVersion: "v3",
    provider: "test",
    modelId: "test-model",
    supportedUrls: {},
    doGenerate: () => new Promise(() => {}),
    doStream: async () => {
      if (behaviour.neverStart) await new Promise(() => {});
      const parts = [...(behaviour.parts ?? [])];
      return {
        stream: new ReadableStream<LanguageModelV3StreamPart>({
          async pull(controller) {
            if (behaviour.gapMs) await new Promise((resolve) => setTimeout(resolve, behaviour.gapMs));
            const part = parts.shift();
            if (part) return controller.enqueue(part);
            if (behaviour.thenHang) return new Promise(() => {});
            controller.close();
          },
        }),
      };
    },
  };
}

const delta = (text: string): LanguageModelV3StreamPart => ({ type: "text-delta", id: "t", delta: text });
const options = { prompt: [{ role: "user" as const, content: [{ type: "text" as const, text: "hi" }] }] };

async function drain(stream: ReadableStream<LanguageModelV3StreamPart>) {
  const parts: LanguageModelV3StreamPart[] = [];
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) parts.push(next.value);
  return parts;
}

describe("withDeadlines with a provider that ignores its signal", () => {
  it("ends a call whose response never starts at the connect deadline", async () => {
    const error = await Promise.resolve(withDeadlines(model({ neverStart: true }), { connectTimeoutMs: 50 }).doStream(options)).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ModelDeadlineExceeded);
    expect((error as ModelDeadlineExceeded).deadline).toBe("connect");
  });

  it("ends a stream that goes quiet at the stall deadline, after what it streamed", async () => {
    const { stream } = await withDeadlines(model({ parts: [delta("a")], thenHang: true }), { stallTimeoutMs: 50 }).doStream(options);
    const reader = stream.getReader();
    expect(await reader.read()).toEqual({ done: false, value: delta("a") });
    const error = await reader.read().catch((caught: unknown) => caught);
    expect((error as ModelDeadlineExceeded).deadline).toBe("stall");
  });

  it("counts the stall from the latest chunk, so a steady stream longer than the stall limit finishes", async () => {
    const parts = Array.from({ length: 20 }, (_, index) => delta(`${index}`));
    const { stream } = await withDeadlines(model({ parts, gapMs: 20 }), { stallTimeoutMs: 250 }).doStream(options);
    expect(await drain(stream)).toEqual(parts);
  });

  it("ends a non-streamed call only at the overall deadline", async () => {
    const wrapped = withDeadlines(model({}), { connectTimeoutMs: 10, stallTimeoutMs: 10, overallTimeoutMs: 60 });
    const error = await Promise.resolve(wrapped.doGenerate(options)).catch((caught: unknown) => caught);
    expect((error as ModelDeadlineExceeded).deadline).toBe("overall");
  });

  it("marks the model it wrapped", () => {
    expect(hasDeadlines(withDeadlines(model({})))).toBe(true);
    expect(hasDeadlines(model({}))).toBe(false);
  });
});

describe("deadline messages", () => {
  it("names the deadline and its length in seconds", () => {
    expect(describeModelError(new ModelDeadlineExceeded("stall", 60_000))).toBe(
      "The model stopped responding (no output for 60 s); retried",
    );
    expect(describeModelError(new ModelDeadlineExceeded("overall", 600_000))).toBe("The model did not finish within 600 s; retried");
    expect(describeModelError(new ModelDeadlineExceeded("connect", 15_000))).toBe(
      "The model server did not start answering within 15 s; retried",
    );
    expect(describeModelError(new ModelDeadlineExceeded("stall", 2_500))).toBe(
      "The model stopped responding (no output for 2.5 s); retried",
    );
  });
});
