import { randomBytes } from "node:crypto";
import NextAuth, { CredentialsSignin, type DefaultSession } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { authAdapter } from "@/server/db/auth-adapter";
import { getEnv } from "@/server/env";
import type { Role } from "@/server/db/types";
import { logger } from "@/server/observability/logger";
import { deleteSession, insertSession } from "@/server/db/queries/sessions";
import { findUserForSignIn, replacePasswordHash } from "@/server/db/queries/users";
import { decoyPasswordHash, hashPassword, needsRehash, verifyPassword } from "./password";
import { clientAddress, formatWait, signInThrottle } from "./sign-in-throttle";

/** Too many failed sign-ins for this account or address: the form says when to try again. */
export class TooManySignIns extends CredentialsSignin {
  override code = "too_many_attempts";
  constructor(readonly retryAfterMs: number) {
    super(`Too many failed sign-ins; try again in ${formatWait(retryAfterMs)}`);
  }
}

/**
 * next-auth v5. Email + password through the Credentials provider, which works only with JWT
 * sessions; the token carries the user's team and role, and names a `Session` row that server
 * code checks on every request together with the membership (sessionCaller): signing out
 * deletes the row, so the cookie stops working at once even if it was copied, and a removed
 * member or a changed password (which deletes all of a user's rows) loses access at once too.
 * A session lasts CHORUS_SESSION_MAX_AGE_SECONDS from sign-in.
 */
declare module "next-auth" {
  interface Session {
    user: { id: string; teamId: string; role: Role; sessionId: string } & DefaultSession["user"];
  }
  interface User {
    teamId?: string;
    role?: Role;
  }
}

const credentials = z.object({ email: z.email().transform((value) => value.toLowerCase()), password: z.string().min(1).max(200) });

export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  adapter: authAdapter(),
  session: { strategy: "jwt", maxAge: getEnv().CHORUS_SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/signin" },
  // AUTH_TRUST_HOST=false makes Auth.js refuse hosts other than AUTH_URL's (server/env.ts parses it;
  // Auth.js's own reading of the variable would take the string "false" as true).
  trustHost: getEnv().AUTH_TRUST_HOST,
  logger: {
    // Auth.js logs failed sign-ins as errors with stack traces; a wrong password is not an error.
    error: (error) => {
      const type = (error as { type?: string }).type ?? error.name;
      if (type !== "CredentialsSignin") logger.error("auth error", { type, message: error.message });
    },
  },
  providers: [
    Credentials({
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(raw, request) {
        const parsed = credentials.safeParse(raw);
        if (!parsed.success) return null;
        const { email } = parsed.data;
        const address = clientAddress(request.headers, getEnv().AUTH_TRUST_HOST);
        // Refused before the password is checked: guessing stays slow, and scrypt stays idle.
        const waitMs = signInThrottle.retryAfterMs(email, address);
        if (waitMs > 0) throw new TooManySignIns(waitMs);
        const user = await findUserForSignIn(email);
        // Verify against a decoy when the user is unknown, so timing does not reveal which emails exist.
        const valid = await verifyPassword(parsed.data.password, user?.passwordHash ?? decoyPasswordHash);
        const membership = user?.memberships[0];
        if (!user || !valid || !membership) {
          signInThrottle.failed(email, address);
          return null;
        }
        signInThrottle.succeeded(email);
        // A hash made at an older cost is replaced now, while the password is at hand.
        if (needsRehash(user.passwordHash!)) {
          const passwordHash = await hashPassword(parsed.data.password);
          // Only if the hash is still the one checked: a password changed meanwhile stays changed.
          await replacePasswordHash(user.id, user.passwordHash!, passwordHash);
        }
        return { id: user.id, email: user.email, name: user.name, teamId: membership.teamId, role: membership.role };
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user?.id) {
        // Signing in: a new session row, which this token names from now on.
        const sessionId = randomBytes(24).toString("base64url");
        const expires = new Date(Date.now() + getEnv().CHORUS_SESSION_MAX_AGE_SECONDS * 1000);
        await insertSession({ sessionId, userId: user.id, expires });
        token.sid = sessionId;
        token.teamId = user.teamId;
        token.role = user.role;
      }
      return token;
    },
    session({ session, token }) {
      session.user.id = token.sub ?? "";
      session.user.teamId = String(token.teamId ?? "");
      session.user.role = (token.role as Role | undefined) ?? "viewer";
      session.user.sessionId = typeof token.sid === "string" ? token.sid : "";
      return session;
    },
  },
  events: {
    async signOut(message) {
      const sessionId = "token" in message ? message.token?.sid : undefined;
      if (typeof sessionId === "string") await deleteSession(sessionId);
    },
  },
}));
