import { randomInt } from "node:crypto";
import { hostname } from "node:os";

/**
 * Ids for rows Chorus inserts in plain SQL, in the same form as Prisma's `cuid()` default
 * (`c` + time + counter + process fingerprint + random, 25 lower-case characters), so every
 * task and execution id looks alike whichever path created it, and ids sort roughly by time.
 */
const BLOCK = 36 ** 4;
const pad4 = (value: number) => value.toString(36).padStart(4, "0").slice(-4);
const fingerprint = pad4((process.pid + [...hostname()].reduce((sum, char) => sum + char.charCodeAt(0), 0)) % BLOCK);
let counter = randomInt(BLOCK);

export function newRowId(): string {
  counter = (counter + 1) % BLOCK;
  return `c${Date.now().toString(36).padStart(8, "0")}${pad4(counter)}${fingerprint}${pad4(randomInt(BLOCK))}${pad4(randomInt(BLOCK))}`;
}
