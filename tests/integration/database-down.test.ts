import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPool } from "@/server/db/client";
import { errorStatusAndBody } from "@/server/http/error-status";
import { checkHealth } from "@/server/db/health";

/**
 * With Postgres unreachable (here: a port nothing listens on), requests answer 503 — a
 * condition to retry, not a bug — and the public health check says "unavailable" without
 * naming hosts, ports or socket paths. Uses real pg errors from a real connection attempt.
 */
let saved: string | undefined;

beforeAll(async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  saved = process.env.DATABASE_URL;
  process.env.DATABASE_URL = `postgresql://chorus:secret@127.0.0.1:${port}/chorus`;
});

afterAll(() => {
  // The next statement opens a pool on the real database again (the file's teardown closes it);
  // the pool on the dead port never held a connection.
  process.env.DATABASE_URL = saved;
});

describe("while the database is unreachable", () => {
  it("a request is a 503 with a JSON error, and the health check says unavailable without details", async () => {
    const error = await getPool()
      .query("SELECT 1")
      .then(
        () => undefined,
        (failure: unknown) => failure,
      );
    expect(error).toBeInstanceOf(Error);
    expect(errorStatusAndBody(error)).toEqual({
      status: 503,
      body: { error: { code: "unavailable", message: "The database is unavailable right now; try again shortly" } },
    });

    const health = await checkHealth();
    expect(health).toMatchObject({ status: "error", checks: { database: { status: "error", message: "unavailable" } } });
    expect(JSON.stringify(health)).not.toMatch(/127\.0\.0\.1|secret|ECONNREFUSED/);
  });
});
