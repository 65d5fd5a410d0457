import { Inngest } from "inngest";
import pg from "pg";
import { describe, expect, it, vi } from "vitest";
import { createEmbeddedExecutor, embeddedClientOptions, type ExecutorLogger } from "@/inngest/executor";
import { loopFailureReporter } from "@/inngest/executor/logging";

/** A logger that remembers what it was told. */
function recordingLogger() {
  const lines: Array<{ level: keyof ExecutorLogger; message: string; fields?: Record<string, unknown> }> = [];
  const at = (level: keyof ExecutorLogger) => (message: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, message, fields });
  const logger: ExecutorLogger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { logger, lines };
}

describe("what the executor is handed: a logger and a database-unavailable predicate", () => {
  it("reports through the logger it is given", () => {
    const { logger, lines } = recordingLogger();
    const inngest = new Inngest({ id: "handed", ...embeddedClientOptions, logger: { info() {}, warn() {}, error() {}, debug() {} } });
    const throttled = inngest.createFunction(
      { id: "throttled", triggers: [{ event: "test/go" }], throttle: { limit: 1, period: "1s" } },
      async () => "done",
    );
    // Constructing connects nothing: the pool is never used here.
    createEmbeddedExecutor({ pool: new pg.Pool(), client: inngest, functions: [throttled], logger });
    expect(lines).toEqual([
      {
        level: "warn",
        message: "function options the embedded executor does not enforce yet",
        fields: { functionId: "handed-throttled", ignored: ["throttle"] },
      },
    ]);
  });

  it("logs the loop's failures as warnings when the predicate says the database is away, as errors otherwise", () => {
    const { logger, lines } = recordingLogger();
    const report = loopFailureReporter(logger, (error) => (error as { code?: string }).code === "57P01");
    const shutdown = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
    const bug = new Error("syntax error at or near SELEC");
    report("executor could not renew its leases", { error: shutdown });
    report("executor could not renew its leases", { error: bug });
    expect(lines.map(({ level, message }) => [level, message])).toEqual([
      ["warn", "executor could not renew its leases (the database is unavailable)"],
      ["error", "executor could not renew its leases"],
    ]);
  });

  it("without a logger, writes warnings and errors to the console and nothing else", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const info = vi.spyOn(console, "info").mockImplementation(() => {});
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const inngest = new Inngest({ id: "unhanded", ...embeddedClientOptions, logger: { info() {}, warn() {}, error() {}, debug() {} } });
      const throttled = inngest.createFunction(
        { id: "throttled", triggers: [{ event: "test/go" }], throttle: { limit: 1, period: "1s" } },
        async () => "done",
      );
      createEmbeddedExecutor({ pool: new pg.Pool(), client: inngest, functions: [throttled] });
      expect(warn).toHaveBeenCalledWith("function options the embedded executor does not enforce yet", {
        functionId: "unhanded-throttled",
        ignored: ["throttle"],
      });
      expect(info).not.toHaveBeenCalled();
      expect(log).not.toHaveBeenCalled();
    } finally {
      vi.restoreAllMocks();
    }
  });
});
