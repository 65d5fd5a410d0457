import { describe, expect, it } from "vitest";
import { getPool } from "@/server/db/client";
import { pruneRateLimitCounters, takeRateLimitTokens } from "@/server/db/queries/rate-limits";
import { updateTeamRateLimits } from "@/server/rate-limit";
import { createPostgresBackend } from "@/server/rate-limit/postgres-backend";
import { createTeamWithMembers } from "../support/fixtures";
import { describeRateLimitBehaviour, hammerFromProcesses, timeoutAfterWait, windowWithRoom } from "../support/rate-limit-behaviour";

/**
 * The Postgres backend (the default: no UPSTASH_REDIS_REST_* set), on the suite's real
 * embedded Postgres: the shared behaviour, then what is particular to it — leased reads across
 * processes, refusals remembered in memory, counters that survive clock skew and get pruned.
 */
describe("rate limits counted in Postgres", () => {
  describeRateLimitBehaviour({ refusalRemembered: "until allowed" });

  const counter = async (keyEnd: string) =>
    (
      await getPool().query<{ current: number; previous: number }>(`SELECT current, previous FROM "RateLimitCounter" WHERE key LIKE $1`, [
        `%${keyEnd}`,
      ])
    ).rows[0];

  it(
    "leased reads hold across processes too: never over the limit, short of it by at most the other process's lease",
    async () => {
      const { team } = await createTeamWithMembers();
      await updateTeamRateLimits(team.id, { set: { read: { limit: 1000, windowMs: 86_400_000 } } });
      await windowWithRoom(86_400_000, 120_000);
      const allowed = await hammerFromProcesses({
        teamId: team.id,
        identity: "key:reader",
        tier: "read",
        processes: 2,
        each: 900,
        concurrency: 8,
      });
      const total = allowed[0]! + allowed[1]!;
      // A lease is at most 1% of the limit: 10 tokens another process holds unspent at the end.
      expect(total).toBeLessThanOrEqual(1000);
      expect(total).toBeGreaterThanOrEqual(990);
    },
    timeoutAfterWait(120_000),
  );

  it("remembers a refusal in memory until a request could pass, then asks Postgres again", async () => {
    let now = Date.UTC(2030, 0, 1, 12, 0, 10);
    const backend = createPostgresBackend(() => now);
    const request = { key: "remembered:key:k", tier: "spend" as const, rule: { limit: 2, windowMs: 60_000 } };
    expect((await backend.check(request)).allowed).toBe(true);
    expect((await backend.check(request)).allowed).toBe(true);
    const refused = await backend.check(request);
    // The window is full and the previous one empty: the next window's first millisecond still
    // weighs all of this one (2), so the first request that fits is 1 ms later.
    expect(refused).toMatchObject({ allowed: false, remaining: 0, resetAt: Date.UTC(2030, 0, 1, 12, 1, 0, 1), retryAfterSeconds: 51 });

    await getPool().query(`DELETE FROM "RateLimitCounter" WHERE key LIKE '%remembered:key:k'`);
    now += 30_000;
    expect(await backend.check(request)).toMatchObject({ allowed: false, retryAfterSeconds: 21 }); // no round trip: still refused
    now = Date.UTC(2030, 0, 1, 12, 1, 0, 1);
    expect(await backend.check(request)).toMatchObject({ allowed: true, remaining: 1 }); // the counter was deleted
  });

  it("counts a lease's tokens as used until they are spent or handed back when their window ends, and sizes leases by use", async () => {
    let now = Date.UTC(2030, 0, 2, 8, 0, 0);
    const backend = createPostgresBackend(() => now);
    const read = { key: "leases:key:k", tier: "read" as const, rule: { limit: 1000, windowMs: 60_000 } };
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await backend.check(read));
    expect(results.every((result) => result.allowed)).toBe(true);
    // Leases of 1, 2, 4, 8 and 10 tokens (1% of the limit), then 10 more: 35 granted for 30 spent.
    expect(await counter("leases:key:k")).toEqual({ current: 35, previous: 0 });
    expect(results.at(-1)!.remaining).toBe(970);

    now += 60_000;
    await backend.check({ ...read, key: "leases:key:other" }); // any check hands back leases of ended windows
    for (let i = 0; (await counter("leases:key:k"))!.current !== 30; i++) {
      if (i > 100) throw new Error("the unspent tokens were not handed back");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // The next lease is the size of what the last one used (5 of its 10).
    expect(await backend.check(read)).toMatchObject({ allowed: true, remaining: 1000 - 5 - 30 + 4 });
    expect(await counter("leases:key:k")).toEqual({ current: 5, previous: 30 });
  });

  it("never resets a counter whose window is ahead of the caller's clock, and prunes idle ones", async () => {
    const windowMs = 60_000;
    const windowStart = Date.UTC(2030, 0, 3, 0, 1, 0);
    const take = (now: number, tokens = 1) =>
      takeRateLimitTokens({ key: "skew:key:k", windowStart: Math.floor(now / windowMs) * windowMs, windowMs, limit: 5, tokens, now });
    expect(await take(windowStart + 10, 3)).toEqual({ granted: 3, windowStart, current: 3, previous: 0 });
    // A process whose clock is 20 ms behind (still in the previous window) is counted in the row's window.
    expect(await take(windowStart - 10)).toEqual({ granted: 1, windowStart, current: 4, previous: 0 });
    expect(await take(windowStart - 10, 5)).toEqual({ granted: 1, windowStart, current: 5, previous: 0 });
    expect(await take(windowStart + 20)).toMatchObject({ granted: 0, current: 5 });

    // Kept while it can still weigh on a check (as the previous window), then deleted.
    await pruneRateLimitCounters(windowStart + 2 * windowMs);
    expect(await counter("skew:key:k")).toEqual({ current: 5, previous: 0 });
    expect(await pruneRateLimitCounters(windowStart + 2 * windowMs + 1)).toBeGreaterThanOrEqual(1);
    expect(await counter("skew:key:k")).toBeUndefined();
  });
});
