import type { LanguageModelV3, LanguageModelV3StreamPart } from "@ai-sdk/provider";
import { isStreamParseError, ModelStreamFailed, ModelStreamMalformed } from "@/server/llm/model-errors";

/**
 * Makes a malformed stream a failure of the call, with a message that quotes nothing the server
 * sent. The AI SDK reports an event it cannot parse as an error part whose message repeats the
 * event (provider text, possibly a prompt), and a 200 "event stream" that holds no events — a
 * proxy's HTML error page — as an answer with no text and no usage: a step would "complete" empty.
 * Here the first becomes a ModelStreamMalformed("unparsable") and the second, a stream that ends
 * before the provider sent anything, a ModelStreamMalformed("empty"). An error the provider itself
 * reports mid-stream (OpenAI's `error` / `response.failed` events, Anthropic's `error` event) comes
 * from the SDK as a plain object, not an Error; it becomes a ModelStreamFailed naming only its
 * code. All are error parts, so the fallback moves on when nothing has streamed yet, the breaker
 * counts the failure, the usage row is `failed` and the text streamed before it is kept as the
 * attempt's partial output.
 * Every real provider's stream starts with its response metadata, so a stream that is merely
 * short (an empty answer) is not mistaken for a malformed one.
 */

/** A stream's error part as Chorus reports it: parse failures and the provider's own error events made Errors that quote nothing. */
function checkedError(error: unknown): unknown {
  if (isStreamParseError(error)) return new ModelStreamMalformed("unparsable");
  if (error instanceof Error) return error;
  return new ModelStreamFailed(error);
}

/** Parts that are Chorus's or the SDK's own bookkeeping, not something the provider sent. */
const NOT_FROM_PROVIDER = new Set<LanguageModelV3StreamPart["type"]>(["stream-start", "raw"]);

export function withStreamIntegrity(model: LanguageModelV3): LanguageModelV3 {
  return {
    specificationVersion: "v3",
    provider: model.provider,
    modelId: model.modelId,
    get supportedUrls() {
      return model.supportedUrls;
    },
    doGenerate: (options) => model.doGenerate(options),
    async doStream(options) {
      const result = await model.doStream(options);
      let heardFromProvider = false;
      let failed = false;
      const checked = result.stream.pipeThrough(
        new TransformStream<LanguageModelV3StreamPart, LanguageModelV3StreamPart>({
          transform(part, controller) {
            if (part.type === "error") {
              failed = true;
              controller.enqueue({ type: "error", error: checkedError(part.error) });
              return;
            }
            if (part.type === "finish" && !heardFromProvider && !failed) {
              failed = true;
              controller.enqueue({ type: "error", error: new ModelStreamMalformed("empty") });
              return;
            }
            if (!NOT_FROM_PROVIDER.has(part.type)) heardFromProvider = true;
            controller.enqueue(part);
          },
          flush(controller) {
            if (!heardFromProvider && !failed) controller.enqueue({ type: "error", error: new ModelStreamMalformed("empty") });
          },
        }),
      );
      return { ...result, stream: checked };
    },
  };
}
