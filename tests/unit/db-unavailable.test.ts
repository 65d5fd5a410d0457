import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "@/server/db/unavailable";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("isDatabaseUnavailable", () => {
  it("recognises Postgres shutting down, refusing or losing connections", () => {
    expect(isDatabaseUnavailable(withCode("terminating connection due to administrator command", "57P01"))).toBe(true);
    expect(isDatabaseUnavailable(withCode("the database system is shutting down", "57P03"))).toBe(true);
    expect(isDatabaseUnavailable(withCode("connection failure", "08006"))).toBe(true);
    expect(isDatabaseUnavailable(withCode("connect ECONNREFUSED 127.0.0.1:54329", "ECONNREFUSED"))).toBe(true);
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
  });

  it("leaves everything else an error", () => {
    expect(isDatabaseUnavailable(withCode('syntax error at or near "SELEC"', "42601"))).toBe(false);
    expect(isDatabaseUnavailable(withCode("duplicate key value violates unique constraint", "23505"))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError("Cannot read properties of undefined"))).toBe(false);
    expect(isDatabaseUnavailable("not an error")).toBe(false);
  });
});

describe("a request while the database is unavailable", () => {
  it("is a 503 the client may retry, not a 500; a bug is still a bare 500", async () => {
    const { errorStatusAndBody } = await import("@/server/http/error-status");
    expect(errorStatusAndBody(withCode("the database system is shutting down", "57P03"))).toEqual({
      status: 503,
      body: { error: { code: "unavailable", message: "The database is unavailable right now; try again shortly" } },
    });
    expect(errorStatusAndBody(new TypeError("Cannot read properties of undefined"))).toEqual({
      status: 500,
      body: { error: { code: "internal", message: "Something went wrong on our side" } },
    });
  });
});
