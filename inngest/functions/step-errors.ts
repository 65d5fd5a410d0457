import { NonRetriableError, RetryAfterError } from "inngest";
import { reportModelError } from "@/server/llm";

/**
 * What a step throws for a failed model call, so its retry policy does the right thing: a
 * permanent failure (bad key, unknown model, rejected request) as a NonRetriableError — the
 * run fails at once instead of after every backoff — and a rate limit with the provider's wait
 * as a RetryAfterError; any other model failure is retried with backoff and jitter. Each carries
 * only what members may see (reportModelError logs the provider's text) and no `cause`: a step's
 * error is serialised into durable state. Errors that are not model errors pass through unchanged.
 */
export function asStepError(error: unknown): unknown {
  const failed = reportModelError(error);
  if (!failed) return error;
  if (!failed.failure.retriable) return new NonRetriableError(failed.message);
  if (failed.failure.retryAfterMs !== undefined) return new RetryAfterError(failed.message, failed.failure.retryAfterMs);
  return failed;
}
