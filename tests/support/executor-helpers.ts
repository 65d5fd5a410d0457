import { getPool } from "@/server/db/client";

/** The helpers the executor's integration tests share. */

/** A logger for test clients that says nothing. */
export const quiet = { info() {}, warn() {}, error() {}, debug() {} };

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms until it returns something truthy (returned), or fails after `timeoutMs`. */
export async function until<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(20);
  }
}

/**
 * How often each step of a run left its side effect: a row (`runKey`, `step`) in `table`,
 * written by the test's functions in whichever process ran them.
 */
export async function marksIn(table: string, runKey: string): Promise<Record<string, number>> {
  const { rows } = await getPool().query<{ step: string; times: number }>(
    `SELECT "step", count(*)::int AS "times" FROM "${table}" WHERE "runKey" = $1 GROUP BY "step"`,
    [runKey],
  );
  return Object.fromEntries(rows.map((row) => [row.step, row.times]));
}

/** The run an event (by id) started. */
export async function runFor(eventId: string) {
  const { rows } = await getPool().query<{ id: string; status: string; output: unknown; leaseOwner: string | null }>(
    `SELECT "id", "status", "output", "leaseOwner" FROM "WorkflowRun" WHERE "event"->>'id' = $1`,
    [eventId],
  );
  return rows[0];
}
