import { NonRetriableError, RetryAfterError } from "inngest";
import { classifyModelError, describeModelError } from "@/server/llm";

/**
 * What a step throws for a failed model call, so its retry policy does the right thing: a
 * permanent failure (bad key, unknown model, rejected request) as a NonRetriableError — the
 * run fails at once with the provider's message instead of after every backoff — and a rate
 * limit with the provider's wait as a RetryAfterError; any other model failure is retried with
 * backoff and jitter. Each says where it came from (describeModelError). Errors that are not
 * model errors pass through unchanged.
 */
export function asStepError(error: unknown): unknown {
  const failure = classifyModelError(error);
  if (!failure) return error;
  const message = describeModelError(error);
  if (!failure.retriable) return new NonRetriableError(message, { cause: error });
  if (failure.retryAfterMs !== undefined) return new RetryAfterError(message, failure.retryAfterMs, { cause: error });
  return new Error(message, { cause: error });
}
