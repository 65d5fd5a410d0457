import { describe, expect, it } from "vitest";
import {
  ACCOUNT_LIMIT,
  ADDRESS_LIMIT,
  clientAddress,
  CLIENT_ADDRESS_HEADER,
  SIGN_IN_WINDOW_MS,
  SignInThrottle,
} from "@/server/auth/sign-in-throttle";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("the sign-in limits", () => {
  it("refuses an account after too many failures, until they leave the window; a success clears it", () => {
    const time = clock();
    const throttle = new SignInThrottle(time.now);
    for (let attempt = 0; attempt < ACCOUNT_LIMIT; attempt++) {
      expect(throttle.retryAfterMs("ada@example.test", `10.0.0.${attempt}`)).toBe(0);
      throttle.failed("ada@example.test", `10.0.0.${attempt}`);
      time.advance(1000);
    }
    // From any address: the account is what is being guessed.
    expect(throttle.retryAfterMs("ada@example.test", "192.0.2.1")).toBe(SIGN_IN_WINDOW_MS - ACCOUNT_LIMIT * 1000);
    expect(throttle.retryAfterMs("bob@example.test", "192.0.2.1")).toBe(0);
    time.advance(SIGN_IN_WINDOW_MS - ACCOUNT_LIMIT * 1000 + 1);
    expect(throttle.retryAfterMs("ada@example.test", "192.0.2.1")).toBe(0);

    throttle.failed("bob@example.test", undefined);
    throttle.succeeded("bob@example.test");
    for (let attempt = 0; attempt < ACCOUNT_LIMIT - 1; attempt++) throttle.failed("bob@example.test", undefined);
    expect(throttle.retryAfterMs("bob@example.test", undefined)).toBe(0);
  });

  it("refuses an address that fails across many accounts", () => {
    const throttle = new SignInThrottle(clock().now);
    for (let attempt = 0; attempt < ADDRESS_LIMIT; attempt++) throttle.failed(`user${attempt}@example.test`, "203.0.113.9");
    expect(throttle.retryAfterMs("fresh@example.test", "203.0.113.9")).toBeGreaterThan(0);
    expect(throttle.retryAfterMs("fresh@example.test", "203.0.113.10")).toBe(0);
  });

  it("reads the address the server stamped, or behind a trusted proxy the first forwarded hop", () => {
    const headers = new Headers({ [CLIENT_ADDRESS_HEADER]: "127.0.0.1", "x-forwarded-for": "198.51.100.7, 10.0.0.1" });
    expect(clientAddress(headers, false)).toBe("127.0.0.1");
    expect(clientAddress(headers, true)).toBe("198.51.100.7");
    expect(clientAddress(new Headers({ [CLIENT_ADDRESS_HEADER]: "::1" }), true)).toBe("::1");
  });
});
