import NextAuth, { CredentialsSignin, type DefaultSession } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { PrismaAdapter } from "@auth/prisma-adapter";
import { z } from "zod";
import { getDb } from "@/server/db/client";
import { getEnv } from "@/server/env";
import type { Role } from "@/server/db/generated/enums";
import { logger } from "@/server/observability/logger";
import { decoyPasswordHash, verifyPassword } from "./password";
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
 * sessions; the token carries the user's team and role, and server code re-checks the
 * membership on every request (sessionCaller) so a removed member loses access at once.
 */
declare module "next-auth" {
  interface Session {
    user: { id: string; teamId: string; role: Role } & DefaultSession["user"];
  }
  interface User {
    teamId?: string;
    role?: Role;
  }
}

const credentials = z.object({ email: z.email().transform((value) => value.toLowerCase()), password: z.string().min(1).max(200) });

export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  adapter: PrismaAdapter(getDb() as never),
  session: { strategy: "jwt", maxAge: 7 * 24 * 60 * 60 },
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
        const user = await getDb().user.findUnique({
          where: { email },
          include: { memberships: { orderBy: { createdAt: "asc" }, take: 1 } },
        });
        // Verify against a decoy when the user is unknown, so timing does not reveal which emails exist.
        const valid = await verifyPassword(parsed.data.password, user?.passwordHash ?? decoyPasswordHash);
        const membership = user?.memberships[0];
        if (!user || !valid || !membership) {
          signInThrottle.failed(email, address);
          return null;
        }
        signInThrottle.succeeded(email);
        return { id: user.id, email: user.email, name: user.name, teamId: membership.teamId, role: membership.role };
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.teamId = user.teamId;
        token.role = user.role;
      }
      return token;
    },
    session({ session, token }) {
      session.user.id = token.sub ?? "";
      session.user.teamId = String(token.teamId ?? "");
      session.user.role = (token.role as Role | undefined) ?? "viewer";
      return session;
    },
  },
}));
