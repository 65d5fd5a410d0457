import { z } from "zod";
import type { Role } from "@/server/db/types";
import { findUserForSignIn, replacePasswordHash } from "@/server/db/queries/users";
import { decoyPasswordHash, hashPassword, needsRehash, verifyPassword } from "./password";
import { signInThrottle } from "./sign-in-throttle";

/** Who signed in, as the session token records them: the user and the team they sign in to. */
export interface SignedInUser {
  id: string;
  email: string;
  name: string | null;
  teamId: string;
  role: Role;
}

export type PasswordSignIn =
  | { outcome: "signed-in"; user: SignedInUser }
  /** Wrong password, unknown email, no team, or input that is no email and password: one answer for all. */
  | { outcome: "refused" }
  /** Too many failures for this account or address; the password was not checked. */
  | { outcome: "throttled"; retryAfterMs: number };

const credentials = z.object({ email: z.email().transform((value) => value.toLowerCase()), password: z.string().min(1).max(200) });

/**
 * Email + password sign-in (the Credentials provider's `authorize`): refuses a throttled account
 * or address before checking anything, verifies the password — against a decoy hash when the
 * email is unknown, so timing does not reveal which emails exist — counts the failure or clears
 * the account's count, and replaces a hash made at an older scrypt cost while the password is at
 * hand. `email` and `password` are as the form sent them; `address` is the client's
 * (`clientAddress`), undefined when unknown.
 */
export async function authenticateWithPassword(input: {
  email: unknown;
  password: unknown;
  address: string | undefined;
}): Promise<PasswordSignIn> {
  const parsed = credentials.safeParse(input);
  if (!parsed.success) return { outcome: "refused" };
  const { email, password } = parsed.data;
  // Refused before the password is checked: guessing stays slow, and scrypt stays idle.
  const retryAfterMs = signInThrottle.retryAfterMs(email, input.address);
  if (retryAfterMs > 0) return { outcome: "throttled", retryAfterMs };
  const user = await findUserForSignIn(email);
  const valid = await verifyPassword(password, user?.passwordHash ?? decoyPasswordHash);
  const membership = user?.memberships[0];
  if (!user?.passwordHash || !valid || !membership) {
    signInThrottle.failed(email, input.address);
    return { outcome: "refused" };
  }
  signInThrottle.succeeded(email);
  if (needsRehash(user.passwordHash)) {
    // Only if the hash is still the one checked: a password changed meanwhile stays changed.
    await replacePasswordHash(user.id, user.passwordHash, await hashPassword(password));
  }
  return {
    outcome: "signed-in",
    user: { id: user.id, email: user.email, name: user.name, teamId: membership.teamId, role: membership.role },
  };
}
