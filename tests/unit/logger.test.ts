import { afterEach, describe, expect, it, vi } from "vitest";
import { logger, registerSecret } from "@/server/observability/logger";
import { runInRequestContext } from "@/server/observability/request-context";

/** What the logger writes must never carry a credential, however a caller passes it. */
function logged(write: () => void): Record<string, unknown> {
  const lines: string[] = [];
  const spy = (stream: NodeJS.WriteStream) => vi.spyOn(stream, "write").mockImplementation((chunk) => (lines.push(String(chunk)), true));
  spy(process.stdout);
  spy(process.stderr);
  const level = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = "debug"; // the test run is quiet by default
  try {
    write();
  } finally {
    vi.restoreAllMocks();
    if (level === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = level;
  }
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

afterEach(() => vi.restoreAllMocks());

describe("the logger", () => {
  it("redacts known secrets and key-shaped text inside messages and values", () => {
    registerSecret("provider-secret-1234567");
    const line = logged(() =>
      logger.warn("provider said: invalid key provider-secret-1234567", {
        body: '{"error":"Incorrect API key provided: provider-secret-1234567"}',
        other: "sk-proj-abcdefghijklmnop and Bearer abc.def.ghijklmnop and chorus_abcd1234_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
      }),
    );
    expect(JSON.stringify(line)).not.toMatch(/provider-secret|sk-proj|abc\.def|ABCDEFGHIJ/);
    expect(line).toMatchObject({
      message: "provider said: invalid key [redacted]",
      body: '{"error":"Incorrect API key provided: [redacted]"}',
    });
  });

  it("redacts fields named like secrets, at any depth it writes", () => {
    const line = logged(() =>
      logger.info("created", {
        apiKey: "chorus_abc_secret",
        user: { email: "a@b.c", passwordHash: "scrypt$…" },
        headers: [{ authorization: "Bearer x" }],
      }),
    );
    expect(line).toMatchObject({
      apiKey: "[redacted]",
      user: { email: "a@b.c", passwordHash: "[redacted]" },
      headers: [{ authorization: "[redacted]" }],
    });
  });

  it("does not write what is nested too deep to check", () => {
    const line = logged(() => logger.info("deep", { a: { b: { c: { d: { e: { password: "hunter2" } } } } } }));
    expect(JSON.stringify(line)).not.toContain("hunter2");
    expect(line).toMatchObject({ a: { b: { c: { d: { e: "[truncated]" } } } } });
  });

  it("scrubs passwords inside URLs, in messages, fields and errors", () => {
    const url = "postgres://chorus:s3cret-Pa55@db.internal:5432/chorus";
    const line = logged(() => logger.error(`could not connect to ${url}`, { url, error: new Error(`connect failed for ${url}`) }));
    const text = JSON.stringify(line);
    expect(text).not.toContain("s3cret-Pa55");
    expect(line).toMatchObject({
      message: "could not connect to postgres://chorus:[redacted]@db.internal:5432/chorus",
      url: "postgres://chorus:[redacted]@db.internal:5432/chorus",
      error: { name: "Error", message: "connect failed for postgres://chorus:[redacted]@db.internal:5432/chorus" },
    });
    // A URL without a password is left as it is.
    expect(logged(() => logger.info("listening", { url: "http://localhost:3000/api" }))).toMatchObject({
      url: "http://localhost:3000/api",
    });
  });

  it("writes one JSON line with time, level and message, warnings and errors on stderr", () => {
    const lines: { stream: string; text: string }[] = [];
    for (const stream of ["stdout", "stderr"] as const)
      vi.spyOn(process[stream], "write").mockImplementation((chunk) => (lines.push({ stream, text: String(chunk) }), true));
    const level = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = "info";
    try {
      logger.debug("below the level");
      logger.info("told", { count: 2 });
      logger.error("broke");
    } finally {
      vi.restoreAllMocks();
      process.env.LOG_LEVEL = level;
    }
    expect(lines.map((line) => line.stream)).toEqual(["stdout", "stderr"]);
    const told = JSON.parse(lines[0]!.text) as Record<string, unknown>;
    expect(told).toEqual({ time: expect.any(String), level: "info", message: "told", count: 2 });
    expect(new Date(told.time as string).toISOString()).toBe(told.time);
    expect(JSON.parse(lines[1]!.text)).toMatchObject({ level: "error", message: "broke" });
  });

  it("names the request on lines written while it is answered, and only then", async () => {
    const inside = logged(() => runInRequestContext("req-123", () => logger.info("inside")));
    expect(inside).toMatchObject({ requestId: "req-123", message: "inside" });
    // Through awaits too.
    const lines: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (lines.push(String(chunk)), true));
    const level = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = "debug";
    await runInRequestContext("req-456", async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.info("later");
    });
    vi.restoreAllMocks();
    process.env.LOG_LEVEL = level;
    expect(JSON.parse(lines[0]!)).toMatchObject({ requestId: "req-456", message: "later" });
    expect(logged(() => logger.info("outside"))).not.toHaveProperty("requestId");
  });
});
