import { APICallError, LoadAPIKeyError, NoSuchModelError, RetryError } from "ai";
import { describe, expect, it, vi } from "vitest";
import { classifyModelError, describeModelError, ModelCallFailed, reportModelError } from "@/server/llm";
import { registerSecret } from "@/server/observability/logger";

const apiError = (statusCode: number | undefined, responseHeaders?: Record<string, string>) =>
  new APICallError({
    message: `status ${statusCode}`,
    url: "https://api.example/v1/chat/completions",
    requestBodyValues: {},
    statusCode,
    responseHeaders,
  });

describe("classifyModelError", () => {
  it("treats a request the provider refused as permanent, and timeouts, conflicts, rate limits and 5xx as transient", () => {
    for (const status of [400, 401, 403, 404, 422]) expect(classifyModelError(apiError(status))).toEqual({ retriable: false });
    for (const status of [408, 409, 429, 500, 502, 503]) expect(classifyModelError(apiError(status))).toEqual({ retriable: true });
  });

  it("keeps the wait a rate limit asked for: retry-after-ms, retry-after in seconds or as a date", () => {
    expect(classifyModelError(apiError(429, { "retry-after-ms": "1500" }))).toEqual({ retriable: true, retryAfterMs: 1500 });
    expect(classifyModelError(apiError(429, { "retry-after": "20" }))).toEqual({ retriable: true, retryAfterMs: 20_000 });
    const at = new Date(Date.now() + 30_000).toUTCString();
    const fromDate = classifyModelError(apiError(503, { "retry-after": at }));
    expect(fromDate).toMatchObject({ retriable: true });
    expect((fromDate as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(28_000);
    expect((fromDate as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it("ignores a wait that is unreadable, negative or longer than an hour", () => {
    for (const value of ["soon", "-5", String(2 * 60 * 60)])
      expect(classifyModelError(apiError(429, { "retry-after": value }))).toEqual({ retriable: true });
  });

  it("looks through the AI SDK's RetryError to the last failure, and knows configuration errors are permanent", () => {
    const wrapped = new RetryError({
      message: "Failed after 3 attempts",
      reason: "maxRetriesExceeded",
      errors: [apiError(503), apiError(401)],
    });
    expect(classifyModelError(wrapped)).toEqual({ retriable: false });
    expect(classifyModelError(new LoadAPIKeyError({ message: "OpenAI API key is missing" }))).toEqual({ retriable: false });
    expect(classifyModelError(new NoSuchModelError({ modelId: "gpt-nope", modelType: "languageModel" }))).toEqual({ retriable: false });
  });

  it("leaves errors that are not model errors to the caller", () => {
    expect(classifyModelError(new Error("database went away"))).toBeUndefined();
    expect(classifyModelError("a string")).toBeUndefined();
  });

  it("describes a failed call by where it went, its status and whether it is retried — never the provider's text", () => {
    const echoed = new APICallError({
      message: "Incorrect API key provided: sk-live-0123456789abcdef",
      url: "https://api.example/v1/chat/completions",
      requestBodyValues: {},
      statusCode: 401,
      responseBody: '{"error":{"message":"Incorrect API key provided: sk-live-0123456789abcdef"}}',
    });
    expect(describeModelError(echoed)).toBe("The model server at api.example answered HTTP 401 (the API key was refused); not retried");
    expect(describeModelError(apiError(429))).toBe("The model server at api.example answered HTTP 429 (rate limited); retried");
    expect(describeModelError(apiError(503))).toBe(
      "The model server at api.example answered HTTP 503 (an error on the provider's side); retried",
    );
    const unreachable = new APICallError({
      message: "Cannot connect to API: connect ECONNREFUSED",
      url: "http://127.0.0.1:11434/v1/chat/completions",
      requestBodyValues: {},
      isRetryable: true,
    });
    expect(
      describeModelError(new RetryError({ message: "Failed after 3 attempts", reason: "maxRetriesExceeded", errors: [unreachable] })),
    ).toBe("The model server at 127.0.0.1:11434 could not be reached (ECONNREFUSED); retried");
    expect(describeModelError(new Error("database went away"))).toBe("database went away");
  });

  it("reports a failure once: the provider's text goes to the log, redacted, under the reference the message carries", () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (lines.push(String(chunk)), true));
    const level = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = "warn";
    try {
      registerSecret("sk-live-0123456789abcdef");
      const failed = reportModelError(
        new APICallError({
          message: "Incorrect API key provided: sk-live-0123456789abcdef",
          url: "https://api.example/v1",
          requestBodyValues: {},
          statusCode: 401,
        }),
        { taskId: "t1" },
      )!;
      expect(failed).toBeInstanceOf(ModelCallFailed);
      expect(failed.failure).toEqual({ retriable: false });
      expect(failed.cause).toBeUndefined();
      const reference = /\(reference ([0-9a-f]{8})\)$/.exec(failed.message)![1];
      expect(failed.message).not.toContain("sk-live");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(reference);
      expect(lines[0]).toContain("Incorrect API key provided: [redacted]");
      expect(lines[0]).not.toContain("sk-live-0123456789abcdef");
      // Already reported: passed on as it is, not logged again.
      expect(reportModelError(failed)).toBe(failed);
      expect(lines).toHaveLength(1);
      expect(reportModelError(new Error("not a model error"))).toBeUndefined();
    } finally {
      vi.restoreAllMocks();
      if (level === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = level;
    }
  });
});
