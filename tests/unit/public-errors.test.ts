import { APICallError } from "@ai-sdk/provider";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isInternalError, publicErrorMessage } from "@/server/orchestration/public-errors";

afterEach(() => vi.restoreAllMocks());

/** A Postgres error as the pg driver raises it. */
function databaseError(message: string) {
  return Object.assign(new Error(message), { name: "error", severity: "ERROR", code: "23505" });
}

describe("what a task may say about the error that stopped it", () => {
  it("tells bugs, database, driver and system errors apart from Chorus's own and the model's", () => {
    expect(isInternalError(new TypeError("Cannot read properties of undefined (reading 'text')"))).toBe(true);
    expect(isInternalError(databaseError('duplicate key value violates unique constraint "Task_pkey"'))).toBe(true);
    expect(isInternalError(Object.assign(new Error("x"), { name: "PrismaClientKnownRequestError", code: "P2002" }))).toBe(true);
    expect(isInternalError(Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:5432"), { errno: -111, syscall: "connect" }))).toBe(true);
    // A step's error crosses a replay as its name and message only.
    expect(isInternalError(Object.assign(new Error("x"), { name: "DatabaseError" }))).toBe(true);
    expect(isInternalError(new Error("Connection terminated unexpectedly"))).toBe(true);

    expect(isInternalError(new Error("The plan has steps that can never run (a dependency cycle or a missing step)"))).toBe(false);
    expect(isInternalError(Object.assign(new Error('Agent "nope" is not defined'), { name: "NonRetriableError" }))).toBe(false);
    expect(isInternalError("a string")).toBe(false);
  });

  it("shows an internal error as a reference, and logs the details under it", () => {
    const logged: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (logged.push(String(chunk)), true));
    const previous = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = "error";
    try {
      const message = publicErrorMessage(databaseError('relation "secret_ledger" does not exist'), { taskId: "t1" });
      expect(message).toMatch(/^Chorus hit an internal error \(reference [0-9a-f]{8}\); the server log has the details$/);
      expect(message).not.toContain("secret_ledger");
      const reference = /reference ([0-9a-f]{8})/.exec(message)![1];
      const line = JSON.parse(logged.join("")) as Record<string, unknown>;
      expect(line).toMatchObject({
        level: "error",
        reference,
        taskId: "t1",
        error: { message: 'relation "secret_ledger" does not exist' },
      });
    } finally {
      if (previous === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = previous;
    }
  });

  it("keeps Chorus's own messages, and says where a model failure came from, not what the provider said", () => {
    expect(publicErrorMessage(new Error("The plan has steps that can never run"))).toBe("The plan has steps that can never run");
    const refused = new APICallError({
      message: "Incorrect API key provided",
      url: "https://api.openai.com/v1/chat/completions",
      requestBodyValues: {},
      statusCode: 401,
      isRetryable: false,
    });
    expect(publicErrorMessage(refused)).toMatch(
      /^The model server at api\.openai\.com answered HTTP 401 \(the API key was refused\); not retried \(reference [0-9a-f]{8}\)$/,
    );
  });
});
