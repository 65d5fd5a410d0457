/**
 * Ids the executor derives instead of drawing at random, so that doing the same thing twice
 * (a retried event POST, a replay after a crash) lands on the same rows and is skipped.
 */
import { createHash } from "node:crypto";

function uuidFrom(...parts: string[]): string {
  const hex = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  // Shaped as an RFC 9562 version-8 (custom) UUID.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The run an event starts for a function: one per (function, event id), however often it is sent. */
export function runIdFor(functionId: string, eventId: string): string {
  return uuidFrom("run", functionId, eventId);
}

/** The child run a `step.invoke` creates: one per (parent run, step). */
export function childRunId(parentRunId: string, stepId: string): string {
  return uuidFrom("invoke", parentRunId, stepId);
}

/**
 * The id of the n-th event of one `inngest.send()` call. The SDK sends a fresh seed with each
 * call and the same seed on its own retries of that call (header `x-inngest-event-id-seed`).
 */
export function eventIdFromSeed(seed: string, index: number): string {
  return uuidFrom("event", seed, String(index));
}
