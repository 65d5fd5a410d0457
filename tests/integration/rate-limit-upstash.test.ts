import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { logger } from "@/server/observability/logger";
import { checkRateLimit, updateTeamRateLimits } from "@/server/rate-limit";
import { createUpstashBackend } from "@/server/rate-limit/upstash-backend";
import { createTeamWithMembers } from "../support/fixtures";
import { describeRateLimitBehaviour } from "../support/rate-limit-behaviour";
import { startUpstashRestServer, type UpstashRestServer } from "../support/upstash-rest-server";

/**
 * The Upstash backend for real: @upstash/ratelimit and @upstash/redis, unmocked, talking
 * Upstash's REST protocol to tests/support/upstash-rest-server.ts, which runs each command on a
 * real redis-server (Debian's 7.0: `apt-get install redis-server`; without it these tests fail
 * saying so). Selected the way a deployment selects it, by UPSTASH_REDIS_REST_URL/_TOKEN.
 */
let upstash: UpstashRestServer;

beforeAll(async () => {
  upstash = await startUpstashRestServer();
  process.env.UPSTASH_REDIS_REST_URL = upstash.url;
  process.env.UPSTASH_REDIS_REST_TOKEN = upstash.token;
});

afterAll(async () => {
  delete process.env.UPSTASH_REDIS_REST_URL;
  delete process.env.UPSTASH_REDIS_REST_TOKEN;
  await upstash?.stop();
});

describe("rate limits counted in Upstash/Redis", () => {
  describeRateLimitBehaviour({ refusalRemembered: "until window end" });

  it("runs the library's own Lua scripts on Redis 7.0, loaded once, with keys that expire", async () => {
    const { team } = await createTeamWithMembers();
    await updateTeamRateLimits(team.id, { set: { spend: { limit: 7, windowMs: 3_600_000 } } });
    const before = upstash.commands.length;
    await checkRateLimit({ teamId: team.id, identity: "key:scripts", tier: "spend" });
    await checkRateLimit({ teamId: team.id, identity: "key:scripts", tier: "spend" });
    // Loaded by earlier tests already (one EVALSHA answered NOSCRIPT, then one EVAL): now only EVALSHA.
    expect(upstash.commands.slice(before)).toEqual(["EVALSHA", "EVALSHA"]);
    expect(upstash.commands.filter((name) => name === "EVAL").length).toBeGreaterThanOrEqual(1);
    // Untouched, Redis 7.0 refuses the shebang flag every @upstash/ratelimit script carries.
    await expect(upstash.redis(["EVAL", "#!lua flags=allow-key-locking\nreturn 1", "0"])).rejects.toThrow(
      /Unexpected flag in script shebang: allow-key-locking/,
    );

    const keys = (await upstash.redis(["KEYS", `chorus:rate-limit:spend:3600000:${team.id}:key:scripts:*`])) as string[];
    expect(keys).toEqual([`chorus:rate-limit:spend:3600000:${team.id}:key:scripts:${Math.floor(Date.now() / 3_600_000)}`]);
    expect(await upstash.redis(["GET", keys[0]!])).toBe("2");
    expect(Number(await upstash.redis(["PTTL", keys[0]!]))).toBeGreaterThan(3_600_000);
  });

  describe("when the store does not answer", () => {
    const rule = { limit: 5, windowMs: 60_000 };
    let silent: Server;
    let requests = 0;

    beforeAll(async () => {
      silent = createServer(() => void requests++); // accepts, never answers
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    });
    afterAll(async () => {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    });

    it("lets requests through, warns once, and waits a few seconds before asking again", async () => {
      const warn = vi.spyOn(logger, "warn").mockImplementation(() => undefined);
      try {
        const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
        const backend = createUpstashBackend({ url, token: "t" });
        const startedAt = Date.now();
        expect(await backend.check({ key: "team:key:k", tier: "spend", rule })).toMatchObject({ allowed: true, limit: 5, remaining: 5 });
        expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900); // the 1 s timeout
        expect(Date.now() - startedAt).toBeLessThan(3_000);
        const afterFirst = requests;
        for (let i = 0; i < 10; i++) expect((await backend.check({ key: "team:key:k", tier: "spend", rule })).allowed).toBe(true);
        expect(requests).toBe(afterFirst); // not asked again while backing off
        expect(warn).toHaveBeenCalledTimes(1);
        expect(warn.mock.calls[0]![0]).toMatch(/rate limits are not enforced/);

        // A store refusing connections outright fails open at once (one retry).
        const refusing = createUpstashBackend({ url: "http://127.0.0.1:1", token: "t" });
        const quick = Date.now();
        expect((await refusing.check({ key: "team:key:k", tier: "spend", rule })).allowed).toBe(true);
        expect(Date.now() - quick).toBeLessThan(1_000);
      } finally {
        warn.mockRestore();
      }
    });
  });
});
