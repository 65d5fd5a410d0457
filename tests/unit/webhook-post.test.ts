import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "@/server/env";
import { FetchFailedError, FetchRefusedError } from "@/server/web/guarded-fetch";
import { guardedPost, PRIVATE_DESTINATIONS_POLICY } from "@/server/web/guarded-post";

/**
 * The webhook POST's edges, against a local server: a receiver that never answers ends in a
 * timeout error (not a hang), a name resolving to loopback is refused unless private destinations
 * are allowed, the metadata address is refused even then, and the retry schedule's configuration.
 */
let silent: Server;
let url = "";

beforeAll(async () => {
  // Reads the request and never answers.
  silent = createServer((request) => request.resume());
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  silent.closeAllConnections();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

const options = { headers: {}, timeoutMs: 300, maxResponseBytes: 1024 };

describe("guardedPost", () => {
  it("gives up on a receiver that does not answer within its deadline", async () => {
    const failure = await guardedPost(url, "{}", { ...options, policy: PRIVATE_DESTINATIONS_POLICY }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FetchFailedError);
    expect(failure).toMatchObject({ reason: "timeout", retryable: true });
  });

  it("refuses a name that resolves to loopback unless private destinations are allowed", async () => {
    const resolver = async () => [{ address: "127.0.0.1", family: 4 }];
    const refused = await guardedPost("http://receiver.example/hook", "{}", { ...options, resolver }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(FetchRefusedError);
    expect(refused).toMatchObject({ reason: "private-address" });
  });

  it("refuses the cloud metadata address even when private destinations are allowed", async () => {
    const refused = await guardedPost("http://169.254.169.254/latest", "{}", { ...options, policy: PRIVATE_DESTINATIONS_POLICY }).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(FetchRefusedError);
    expect(refused).toMatchObject({ reason: "private-address" });
  });
});

describe("CHORUS_WEBHOOK_RETRY_DELAYS", () => {
  it("defaults to Standard Webhooks' schedule and takes seconds, comma-separated", () => {
    expect(parseEnv({}).CHORUS_WEBHOOK_RETRY_DELAYS).toEqual([0, 5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(parseEnv({ CHORUS_WEBHOOK_RETRY_DELAYS: "0, 1,60" }).CHORUS_WEBHOOK_RETRY_DELAYS).toEqual([0, 1, 60]);
    for (const bad of ["soon", "0,-1", "0,1.5", "0,90000"]) {
      expect(() => parseEnv({ CHORUS_WEBHOOK_RETRY_DELAYS: bad }), bad).toThrow(/CHORUS_WEBHOOK_RETRY_DELAYS/);
    }
  });
});
