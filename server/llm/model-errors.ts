import {
  APICallError,
  InvalidArgumentError,
  InvalidPromptError,
  JSONParseError,
  LoadAPIKeyError,
  NoSuchModelError,
  RetryError,
  TypeValidationError,
  UnsupportedFunctionalityError,
} from "ai";
import { randomBytes } from "node:crypto";
import { logger } from "@/server/observability/logger";

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
  if (error instanceof ModelCallFailed) return error.failure;
  // A provider that stopped answering may well answer the next attempt (or the next link).
  if (error instanceof ModelDeadlineExceeded) return { retriable: true };
  // A garbled stream (a proxy's page, a broken connection's tail) is no answer; the next attempt may get one.
  if (error instanceof ModelStreamMalformed || isStreamParseError(error)) return { retriable: true };
  if (error instanceof ModelStreamFailed) return { retriable: error.retriable };
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
 * What members are told about a failed model call: where it went, the status that came back and
 * whether it is retried — "The model server at api.openai.com answered HTTP 401 (the API key was
 * refused); not retried". Never the provider's own text: a provider may echo the request's API
 * key, a prompt or internal details in its error body, and this message is stored on the task,
 * streamed and shown to every member, viewers included. The provider's text goes to the server
 * log (known secrets redacted) under the reference the message carries: see `reportModelError`.
 */
export function describeModelError(error: unknown): string {
  const failure = RetryError.isInstance(error) ? error.lastError : error;
  const classified = classifyModelError(failure);
  const message = failure instanceof Error ? failure.message : String(failure);
  if (!classified) return message;
  if (failure instanceof ModelDeadlineExceeded || failure instanceof ModelStreamMalformed) return `${failure.message}; retried`;
  // The SDK's message quotes what it could not parse: the provider's text, never shown.
  if (isStreamParseError(failure)) return `${new ModelStreamMalformed("unparsable").message}; retried`;
  if (failure instanceof ModelStreamFailed) return `${failure.message}; ${failure.retriable ? "retried" : "not retried"}`;
  if (!APICallError.isInstance(failure))
    return `The model call could not be made as configured: ${failure instanceof Error ? failure.name : "error"}`;
  const host = URL.canParse(failure.url) ? new URL(failure.url).host : "the configured endpoint";
  const retried = classified.retriable ? "retried" : "not retried";
  if (failure.statusCode === undefined) {
    const code = systemErrorCode(failure);
    return `The model server at ${host} could not be reached${code ? ` (${code})` : ""}; ${retried}`;
  }
  // A 2xx here is a stream that broke off after it began (the connection dropped): not a refusal.
  if (failure.statusCode >= 200 && failure.statusCode < 300)
    return `The model server at ${host} broke off its answer mid-stream; ${retried}`;
  return `The model server at ${host} answered HTTP ${failure.statusCode} (${statusMeaning(failure.statusCode)}); ${retried}`;
}

/**
 * A model call cut off by one of its deadlines (server/llm/deadlines.ts). Its message is safe to
 * show: it names only which deadline passed and how long it was.
 */
export type ModelDeadline = "connect" | "stall" | "overall";

export class ModelDeadlineExceeded extends Error {
  constructor(
    readonly deadline: ModelDeadline,
    readonly limitMs: number,
  ) {
    super(deadlineMessage(deadline, limitMs));
    this.name = "ModelDeadlineExceeded";
  }
}

function deadlineMessage(deadline: ModelDeadline, limitMs: number): string {
  const seconds = `${Number((limitMs / 1000).toFixed(limitMs < 10_000 ? 1 : 0))} s`;
  if (deadline === "connect") return `The model server did not start answering within ${seconds}`;
  if (deadline === "stall") return `The model stopped responding (no output for ${seconds})`;
  return `The model did not finish within ${seconds}`;
}

/**
 * A stream that is not the provider's streaming format: an event that is not JSON or not of the
 * shape the provider's format has ("unparsable"), or a 200 event stream with nothing readable in
 * it — a proxy's HTML error page ("empty"). Its message is safe to show: it quotes nothing the
 * server sent. Made by server/llm/stream-integrity.ts.
 */
export class ModelStreamMalformed extends Error {
  constructor(readonly kind: "unparsable" | "empty") {
    super(
      kind === "empty"
        ? "The model server sent a malformed stream (no events in the provider's format, such as a proxy's error page)"
        : "The model server sent a malformed stream (an event not in the provider's format)",
    );
    this.name = "ModelStreamMalformed";
  }
}

/**
 * An error the provider reported inside a stream that had begun (OpenAI's `error` and
 * `response.failed` events, Anthropic's `error` event). The AI SDK passes these on as plain
 * objects, not Errors, which showed as "[object Object]". The message names only the error's
 * code when it is an identifier (`server_error`, `overloaded_error`): the provider's text stays
 * in `reported`, for the server log. Retried unless the provider says the request itself was wrong.
 */
export class ModelStreamFailed extends Error {
  readonly retriable: boolean;

  constructor(readonly reported: unknown) {
    const record = (typeof reported === "object" && reported !== null ? reported : {}) as Record<string, unknown>;
    const nested = (typeof record.error === "object" && record.error !== null ? record.error : {}) as Record<string, unknown>;
    const code = [record.code, record.type, nested.type, nested.code].find(
      (candidate): candidate is string =>
        typeof candidate === "string" && /^[a-z][a-z0-9_.]{0,60}$/.test(candidate) && candidate !== "error",
    );
    super(`The model server reported an error mid-stream${code ? ` (${code})` : ""}`);
    this.name = "ModelStreamFailed";
    this.retriable =
      typeof record.isRetryable === "boolean" ? record.isRetryable : ![record.type, nested.type].includes("invalid_request_error");
  }
}

/** The AI SDK's errors for a stream event it could not parse (JSON) or validate (shape). */
export function isStreamParseError(error: unknown): boolean {
  return JSONParseError.isInstance(error) || TypeValidationError.isInstance(error);
}

/**
 * A failed model call, reported once: logs what the provider said (known secrets redacted) under
 * a short reference and returns the error members may see, which carries describeModelError's
 * message with that reference and how the step should treat it. Its message is safe to store,
 * stream and show; it keeps nothing of the original (no `cause`), since a step's error is
 * serialised into durable state.
 */
export class ModelCallFailed extends Error {
  constructor(
    message: string,
    readonly failure: ModelFailure,
  ) {
    super(message);
    this.name = "ModelCallFailed";
  }
}

export function reportModelError(error: unknown, context: Record<string, unknown> = {}): ModelCallFailed | undefined {
  if (error instanceof ModelCallFailed) return error;
  const failure = classifyModelError(error);
  if (!failure) return undefined;
  const reference = randomBytes(4).toString("hex");
  const last = RetryError.isInstance(error) ? error.lastError : error;
  logger.warn(last instanceof ModelDeadlineExceeded ? "a model call timed out" : "a model call failed", {
    reference,
    ...context,
    ...(APICallError.isInstance(last) ? { url: last.url, status: last.statusCode, responseBody: last.responseBody } : {}),
    ...(last instanceof ModelDeadlineExceeded ? { deadline: last.deadline, limitMs: last.limitMs } : {}),
    ...(last instanceof ModelStreamFailed ? { reported: last.reported } : {}),
    error: last,
  });
  return new ModelCallFailed(`${describeModelError(error)} (reference ${reference})`, failure);
}

/** A system error code (ECONNREFUSED, ENOTFOUND…) from the error or its causes: safe to show, unlike messages. */
function systemErrorCode(error: unknown): string | undefined {
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 4; at = at.cause, depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z_]+$/.test(code)) return code;
    const inMessage = /\b(E(?:CONNREFUSED|CONNRESET|NOTFOUND|TIMEDOUT|HOSTUNREACH|AI_AGAIN|PIPE))\b/.exec(at.message);
    if (inMessage) return inMessage[1];
  }
  return undefined;
}

function statusMeaning(status: number): string {
  if (status === 401) return "the API key was refused";
  if (status === 403) return "access was denied";
  if (status === 404) return "no such model or endpoint";
  if (status === 408) return "the request timed out";
  if (status === 413) return "the request was too large";
  if (status === 429) return "rate limited";
  if (status >= 500) return "an error on the provider's side";
  return "the request was refused";
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
