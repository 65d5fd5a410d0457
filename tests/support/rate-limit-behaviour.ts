import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { checkRateLimit, rateLimitHeaders, updateTeamRateLimits, type RateLimitIdentity, type RateLimitTier } from "@/server/rate-limit";
import { createTeamWithMembers } from "./fixtures";

/**
 * What every rate-limit backend promises through `checkRateLimit`, run by
 * tests/integration/rate-limit-postgres.test.ts and rate-limit-upstash.test.ts against the
 * backend their environment selects. Where the backends differ — how long a refusal is
 * remembered — `refusalRemembered` says which behaviour to expect:
 *
 * - "until allowed" (Postgres): until the sliding count has faded enough for one request;
 * - "until window end" (@upstash/ratelimit's ephemeral cache): until the fixed window ends.
 */
const HOUR = 3_600_000;
const DAY = 86_400_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** The start of the current fixed window, after waiting out its end if fewer than `neededMs` are left. */
export async function windowWithRoom(windowMs: number, neededMs: number): Promise<number> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < neededMs) await sleep(left + 5);
  return Math.floor(Date.now() / windowMs) * windowMs;
}

/**
 * A test that calls windowWithRoom(…, neededMs) may first sleep up to neededMs (run in the last
 * minute of an hour, it waits for the next): its timeout is the usual one plus that wait, or it
 * fails whenever CI happens to run it just before the hour (it did, at 18:59Z).
 */
export function timeoutAfterWait(neededMs: number): number {
  return 60_000 + neededMs;
}

/** Waits until `offsetMs` into the next fixed window and returns that window's start. */
async function nextWindowAt(windowMs: number, offsetMs: number): Promise<number> {
  const start = Math.floor(Date.now() / windowMs) * windowMs + windowMs;
  await sleep(start + offsetMs - Date.now());
  return start;
}

async function checks(count: number, request: { teamId: string; identity: RateLimitIdentity; tier: RateLimitTier }) {
  const results = [];
  for (let i = 0; i < count; i++) results.push(await checkRateLimit(request));
  return results;
}

/**
 * Runs `processes` separate Node processes (tsx) that each make `each` checks of one identity,
 * `concurrency` at a time, all starting at the same moment. Returns their allowed counts.
 */
export async function hammerFromProcesses(input: {
  teamId: string;
  identity: RateLimitIdentity;
  tier: RateLimitTier;
  processes: number;
  each: number;
  concurrency: number;
}): Promise<number[]> {
  const tsx = path.resolve("node_modules/tsx/dist/cli.mjs");
  const script = path.resolve("tests/support/rate-limit-hammer.ts");
  const children = Array.from({ length: input.processes }, () =>
    spawn(
      process.execPath,
      [
        tsx,
        "--tsconfig",
        path.resolve("tsconfig.json"),
        "--import",
        path.resolve("bin/server-only-outside-next.mjs"),
        script,
        input.teamId,
        input.identity,
        input.tier,
        String(input.each),
        String(input.concurrency),
      ],
      {
        env: { ...process.env, LOG_LEVEL: "error" },
        stdio: ["pipe", "pipe", "inherit"],
      },
    ),
  );
  const outputs = children.map((child) => {
    const lines = createInterface({ input: child.stdout! });
    const ready = new Promise<void>((resolve) => lines.once("line", () => resolve()));
    const result = new Promise<{ allowed: number; refused: number }>((resolve, reject) => {
      let last = "";
      lines.on("line", (line) => (last = line));
      child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(last)) : reject(new Error(`hammer process exited with ${code}`))));
    });
    return { ready, result };
  });
  await Promise.all(outputs.map((output) => output.ready));
  for (const child of children) child.stdin!.end("go\n");
  const results = await Promise.all(outputs.map((output) => output.result));
  for (const result of results) expect(result.allowed + result.refused).toBe(input.each);
  return results.map((result) => result.allowed);
}

export function describeRateLimitBehaviour(options: { refusalRemembered: "until allowed" | "until window end" }) {
  describe("through checkRateLimit", () => {
    it(
      "allows the limit, then refuses with nothing remaining and says when to come back",
      async () => {
        const { team } = await createTeamWithMembers();
        await updateTeamRateLimits(team.id, { set: { spend: { limit: 5, windowMs: HOUR } } });
        const windowStart = await windowWithRoom(HOUR, 30_000);
        const request = { teamId: team.id, identity: "key:n-then-refused" as const, tier: "spend" as const };

        const allowed = await checks(5, request);
        expect(allowed).toEqual(
          [4, 3, 2, 1, 0].map((remaining) => ({
            allowed: true,
            limit: 5,
            remaining,
            resetAt: windowStart + HOUR,
            retryAfterSeconds: 0,
            windowMs: HOUR,
          })),
        );

        for (const refused of await checks(3, request)) {
          // This window is full and the previous one empty: nothing fades until this window ends.
          expect(refused).toMatchObject({ allowed: false, limit: 5, remaining: 0 });
          expect(refused.resetAt - (windowStart + HOUR)).toBeGreaterThanOrEqual(0);
          expect(refused.resetAt - (windowStart + HOUR)).toBeLessThanOrEqual(1);
          const wait = Math.ceil((refused.resetAt - Date.now()) / 1000);
          expect(Math.abs(refused.retryAfterSeconds - wait)).toBeLessThanOrEqual(1);
          expect(rateLimitHeaders(refused)).toMatchObject({
            "RateLimit-Limit": "5",
            "RateLimit-Remaining": "0",
            "Retry-After": String(refused.retryAfterSeconds),
          });
        }
      },
      timeoutAfterWait(30_000),
    );

    it("slides: the previous window's count fades as the window moves on", async () => {
      const { team } = await createTeamWithMembers();
      const windowMs = 2_000;
      await updateTeamRateLimits(team.id, { set: { write: { limit: 10, windowMs } } });
      const request = { teamId: team.id, identity: "user:slider" as const, tier: "write" as const };

      const first = await nextWindowAt(windowMs, 50);
      expect((await checks(10, request)).every((result) => result.allowed)).toBe(true);
      expect((await checkRateLimit(request)).allowed).toBe(false);

      // 300 ms into the next window the previous 10 weigh floor(10 × 0.85) = 8 (7–9 from 200 to 400 ms): 2 more fit.
      const second = await nextWindowAt(windowMs, 300);
      expect(second).toBe(first + windowMs);
      const [a, b, refused] = await checks(3, request);
      expect([a!.allowed, b!.allowed, refused!.allowed]).toEqual([true, true, false]);
      expect(b!.remaining).toBe(0);

      if (options.refusalRemembered === "until allowed") {
        // 2 + floor(10 × weight) ≤ 9 once the weight is under 0.8: 401 ms into the window.
        expect(refused!.resetAt).toBe(second + 401);
        expect(refused!.retryAfterSeconds).toBe(1);
        // At 1300 ms the previous window weighs floor(10 × 0.35) = 3, so 2 + 3 are used: 5 more fit.
        await sleep(second + 1300 - Date.now());
        expect((await checks(6, request)).map((result) => result.allowed)).toEqual([true, true, true, true, true, false]);
      } else {
        // Refused until this fixed window ends, even where the sliding count would allow one sooner.
        expect(refused!.resetAt).toBe(second + windowMs);
        expect(refused!.retryAfterSeconds).toBe(2);
        await sleep(second + 1300 - Date.now());
        expect((await checkRateLimit(request)).allowed).toBe(false);
        // 300 ms into the window after, the 2 of the last one weigh floor(2 × 0.85) = 1: 9 fit.
        await nextWindowAt(windowMs, 300);
        expect((await checks(10, request)).map((result) => result.allowed)).toEqual([...Array(9).fill(true), false]);
      }
    });

    it(
      "applies a team's override, and its removal, at once",
      async () => {
        const limited = await createTeamWithMembers();
        const ordinary = await createTeamWithMembers();
        await windowWithRoom(60_000, 10_000);
        await updateTeamRateLimits(limited.team.id, { set: { read: { limit: 3, windowMs: 60_000 } } });
        const request = { teamId: limited.team.id, identity: "key:dashboard" as const, tier: "read" as const };
        expect((await checks(4, request)).map((result) => [result.allowed, result.limit])).toEqual([
          [true, 3],
          [true, 3],
          [true, 3],
          [false, 3],
        ]);
        expect(await checkRateLimit({ ...request, teamId: ordinary.team.id })).toMatchObject({
          allowed: true,
          limit: 1200,
          remaining: 1199,
        });

        await updateTeamRateLimits(limited.team.id, { reset: true });
        // The 3 allowed still count (the refusal did not) against the default limit.
        expect(await checkRateLimit(request)).toMatchObject({ allowed: true, limit: 1200, remaining: 1196 });
      },
      timeoutAfterWait(10_000),
    );

    it(
      "counts each identity in each team on its own",
      async () => {
        const first = await createTeamWithMembers();
        const second = await createTeamWithMembers();
        await windowWithRoom(HOUR, 10_000);
        for (const { team } of [first, second]) await updateTeamRateLimits(team.id, { set: { spend: { limit: 2, windowMs: HOUR } } });
        const spend = (teamId: string, identity: RateLimitIdentity) => checkRateLimit({ teamId, identity, tier: "spend" });

        await checks(2, { teamId: first.team.id, identity: "key:a", tier: "spend" });
        expect((await spend(first.team.id, "key:a")).allowed).toBe(false);
        expect(await spend(first.team.id, "key:b")).toMatchObject({ allowed: true, remaining: 1 });
        expect(await spend(first.team.id, "user:a")).toMatchObject({ allowed: true, remaining: 1 });
        expect(await spend(second.team.id, "key:a")).toMatchObject({ allowed: true, remaining: 1 });
        // Another tier of the same identity has its own count.
        expect(await checkRateLimit({ teamId: first.team.id, identity: "key:a", tier: "write" })).toMatchObject({
          allowed: true,
          limit: 300,
          remaining: 299,
        });
      },
      timeoutAfterWait(10_000),
    );

    it(
      "lets exactly the limit through to many concurrent requests of one identity in one process",
      async () => {
        const { team } = await createTeamWithMembers();
        await windowWithRoom(HOUR, 60_000);
        await updateTeamRateLimits(team.id, { set: { read: { limit: 500, windowMs: HOUR } } });
        const request = { teamId: team.id, identity: "key:poller" as const, tier: "read" as const };
        const results = await Promise.all(Array.from({ length: 600 }, () => checkRateLimit(request)));
        expect(results.filter((result) => result.allowed)).toHaveLength(500);
        expect(Math.min(...results.map((result) => result.remaining))).toBe(0);
      },
      timeoutAfterWait(60_000),
    );

    it(
      "holds across processes: two processes hammering one identity together get the limit, not twice it",
      async () => {
        const { team } = await createTeamWithMembers();
        await updateTeamRateLimits(team.id, { set: { spend: { limit: 200, windowMs: DAY } } });
        await windowWithRoom(DAY, 120_000);
        const allowed = await hammerFromProcesses({
          teamId: team.id,
          identity: "key:shared",
          tier: "spend",
          processes: 2,
          each: 250,
          concurrency: 8,
        });
        expect(allowed[0]! + allowed[1]!).toBe(200);
        // Both took part: neither process was simply late.
        expect(Math.min(...allowed)).toBeGreaterThan(0);
      },
      timeoutAfterWait(120_000),
    );
  });
}
