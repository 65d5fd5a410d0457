import {
  APICallError,
  InvalidArgumentError,
  InvalidPromptError,
  LoadAPIKeyError,
  NoSuchModelError,
  RetryError,
  UnsupportedFunctionalityError,
} from "ai";

/**
 * Whether a failed model call is worth trying again, as the step's retry policy needs to know:
 * - the provider refused the request itself (bad key, no such model, a prompt too long, any
 *   4xx but 408/409/429), or it could not be sent as configured: **permanent** — retrying
 *   spends time and money on the same answer;
 * - a timeout, conflict, rate limit, 5xx or lost connection: **transient**, with the wait the
 *   provider asked for (`retry-after-ms` / `retry-after`) when it gave one.
 * Anything else (not a model error) is left to the caller: undefined.
 *
 * The AI SDK's own retries are off where Chorus calls models (`maxRetries: 0`): every attempt
 * is then a step attempt, recorded, with the step's backoff — and a rate-limited step waits
 * parked, without holding its team's concurrency slot.
 */
export type ModelFailure = { retriable: false } | { retriable: true; retryAfterMs?: number };

/** Waits longer than this are not honoured as given: the step's own backoff applies. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

export function classifyModelError(error: unknown): ModelFailure | undefined {
  if (RetryError.isInstance(error)) return classifyModelError(error.lastError);
  if (APICallError.isInstance(error)) {
    if (!error.isRetryable) return { retriable: false };
    const retryAfterMs = retryAfterOf(error.responseHeaders);
    return retryAfterMs === undefined ? { retriable: true } : { retriable: true, retryAfterMs };
  }
  if (
    LoadAPIKeyError.isInstance(error) ||
    NoSuchModelError.isInstance(error) ||
    InvalidPromptError.isInstance(error) ||
    InvalidArgumentError.isInstance(error) ||
    UnsupportedFunctionalityError.isInstance(error)
  ) {
    return { retriable: false };
  }
  return undefined;
}

/**
 * A failed model call's message for the task's error, saying where it came from: "The model
 * server at api.openai.com answered HTTP 401: Incorrect API key provided…". Other errors keep
 * their own message.
 */
export function describeModelError(error: unknown): string {
  const failure = RetryError.isInstance(error) ? error.lastError : error;
  const message = failure instanceof Error ? failure.message : String(failure);
  if (!APICallError.isInstance(failure)) return message;
  const host = URL.canParse(failure.url) ? new URL(failure.url).host : "the configured endpoint";
  return failure.statusCode === undefined
    ? `The model server at ${host} could not be reached: ${message}`
    : `The model server at ${host} answered HTTP ${failure.statusCode}: ${message}`;
}

function retryAfterOf(headers: Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined;
  const milliseconds = Number.parseFloat(headers["retry-after-ms"] ?? "");
  let wait = Number.isFinite(milliseconds) ? milliseconds : undefined;
  const retryAfter = headers["retry-after"];
  if (wait === undefined && retryAfter) {
    wait = /^\s*\d+(\.\d+)?\s*$/.test(retryAfter) ? Number.parseFloat(retryAfter) * 1000 : Date.parse(retryAfter) - Date.now();
  }
  return wait !== undefined && Number.isFinite(wait) && wait >= 0 && wait <= MAX_RETRY_AFTER_MS ? Math.ceil(wait) : undefined;
}
