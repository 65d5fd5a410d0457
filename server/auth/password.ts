import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/**
 * Passwords are stored as scrypt hashes: `scrypt$N$r$p$salt$hash` (base64url), with OWASP's
 * recommended cost (N=2^17, r=8, p=1: ≈ 0.5 s and 128 MiB per hash on our machines). Each hash
 * records its own parameters, so hashes made at an older cost still verify; `needsRehash` tells
 * sign-in to store a new hash at the current cost once the password has been checked.
 */
const N = 2 ** 17;
const r = 8;
const p = 1;
const KEY_LENGTH = 32;
/** scrypt needs 128·N·r bytes; Node refuses anything above `maxmem` (32 MiB by default). */
const MAX_MEMORY = 256 * 1024 * 1024;
/** A stored hash asking for more than this is refused rather than computed (a tampered row). */
const MAX_N = 2 ** 20;

function derive(password: string, salt: Buffer, n: number, rr: number, pp: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, { N: n, r: rr, p: pp, maxmem: MAX_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, r, p);
  return ["scrypt", N, r, p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, rr, pp, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash || !(Number(n) <= MAX_N)) return false;
  const expected = Buffer.from(hash, "base64url");
  try {
    const actual = await derive(password, Buffer.from(salt, "base64url"), Number(n), Number(rr), Number(pp));
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  } catch {
    return false; // parameters scrypt refuses: not a hash we wrote
  }
}

/** Whether a (verified) stored hash was made with other parameters than today's. */
export function needsRehash(stored: string): boolean {
  const [scheme, n, rr, pp] = stored.split("$");
  return scheme !== "scrypt" || Number(n) !== N || Number(rr) !== r || Number(pp) !== p;
}

/**
 * A hash to compare against when the user does not exist, so timing does not reveal which emails
 * exist: made at the current cost, like a real one.
 */
export const decoyPasswordHash = `scrypt$${N}$${r}$${p}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
