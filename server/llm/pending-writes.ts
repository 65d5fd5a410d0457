/**
 * Writes a model call leaves behind after its answer has reached the caller — its ModelCall row
 * (usage-recording.ts) and its budget settlement (budget.ts) — kept off the call's path and
 * awaited together before anything reads the totals they feed: a step before it counts as done,
 * a task before its usage is summed, tests, a graceful shutdown.
 */
const pending = new Set<Promise<unknown>>();

/** Keeps `write` until it settles; its rejection is the writer's to handle (this only waits). */
export function trackPendingWrite(write: Promise<unknown>): void {
  const tracked = write.catch(() => undefined).finally(() => pending.delete(tracked));
  pending.add(tracked);
}

/** Waits for every write tracked so far, and for those they led to (a settlement tracked while waiting). */
export async function settlePendingWrites(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}
