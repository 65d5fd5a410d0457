/**
 * A separate Node process checking one identity's rate limit as fast as it can, for the tests
 * proving a limit holds across processes. Run with tsx:
 *
 *   rate-limit-hammer.ts <teamId> <identity> <tier> <checks> <concurrency>
 *
 * It loads everything, prints "ready", waits for a line on stdin (so that several start at the
 * same moment), makes the checks, and prints `{"allowed":n,"refused":m}`. It uses the backend
 * its environment configures: DATABASE_URL, or UPSTASH_REDIS_REST_URL/_TOKEN.
 */
import { createInterface } from "node:readline";
import { closeDb, getPool } from "@/server/db/client";
import { checkRateLimit, type RateLimitIdentity, type RateLimitTier } from "@/server/rate-limit";

const [teamId, identity, tier, checks, concurrency] = process.argv.slice(2);
await getPool().query("SELECT 1");
process.stdout.write("ready\n");
const lines = createInterface({ input: process.stdin });
await new Promise((resolve) => lines.once("line", resolve));
lines.close();

let next = 0;
let allowed = 0;
let refused = 0;
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (next++ < Number(checks)) {
      const result = await checkRateLimit({ teamId: teamId!, identity: identity as RateLimitIdentity, tier: tier as RateLimitTier });
      if (result.allowed) allowed++;
      else refused++;
    }
  }),
);
process.stdout.write(`${JSON.stringify({ allowed, refused })}\n`);
await closeDb();
process.exit(0);
