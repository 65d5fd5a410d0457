import { z } from "zod";
import { recordAudit } from "@/server/audit/record-audit";
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
 * (`clientAddress`), undefined when unknown. A success, and a failure on a known account, go to
 * the team's audit log with the address and user agent.
 */
export async function authenticateWithPassword(input: {
  email: unknown;
  password: unknown;
  address: string | undefined;
  userAgent?: string;
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
  const client = { address: input.address, userAgent: input.userAgent };
  if (!user?.passwordHash || !valid || !membership) {
    signInThrottle.failed(email, input.address);
    // Recorded against the team the account signs in to. An unknown email (or an account in no
    // team) belongs to no team's log; throttled attempts are not checked, so not recorded either.
    if (user && membership)
      await recordAudit(
        { teamId: membership.teamId, userId: user.id, client },
        { action: "auth.sign_in_failed", target: { type: "user", id: user.id }, details: { method: "password" } },
      );
    return { outcome: "refused" };
  }
  signInThrottle.succeeded(email);
  await recordAudit(
    { teamId: membership.teamId, userId: user.id, client },
    { action: "auth.sign_in", target: { type: "user", id: user.id }, details: { method: "password" } },
  );
  if (needsRehash(user.passwordHash)) {
    // Only if the hash is still the one checked: a password changed meanwhile stays changed.
    await replacePasswordHash(user.id, user.passwordHash, await hashPassword(password));
  }
  return {
    outcome: "signed-in",
    user: { id: user.id, email: user.email, name: user.name, teamId: membership.teamId, role: membership.role },
  };
}
