import { randomBytes } from "node:crypto";
import NextAuth, { CredentialsSignin, type DefaultSession } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { authAdapter } from "@/server/db/auth-adapter";
import { recordAudit } from "@/server/audit/record-audit";
import { getEnv } from "@/server/env";
import type { Role } from "@/server/db/types";
import { logger } from "@/server/observability/logger";
import { deleteSession, insertSession } from "@/server/db/queries/sessions";
import { authenticateWithPassword } from "./password-sign-in";
import { clientAddress, formatWait } from "./sign-in-throttle";
import { allowExternalSignIn, externalProviders, NOT_INVITED_ERROR, teamForExternalSignIn, verifiedEmailOf } from "./external-sign-in";

/** Too many failed sign-ins for this account or address: the form says when to try again. */
export class TooManySignIns extends CredentialsSignin {
  override code = "too_many_attempts";
  constructor(readonly retryAfterMs: number) {
    super(`Too many failed sign-ins; try again in ${formatWait(retryAfterMs)}`);
  }
}

/**
 * next-auth v5. Email + password through the Credentials provider — and, when configured, an
 * OpenID Connect provider and GitHub (external-sign-in.ts: no open sign-up) — which works only with JWT
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

export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  adapter: authAdapter(),
  session: { strategy: "jwt", maxAge: getEnv().CHORUS_SESSION_MAX_AGE_SECONDS },
  // Errors (a refused provider sign-in among them) come back to the sign-in page, which explains them.
  pages: { signIn: "/signin", error: "/signin" },
  // AUTH_TRUST_HOST=false makes Auth.js refuse hosts other than AUTH_URL's (server/env.ts parses it;
  // Auth.js's own reading of the variable would take the string "false" as true).
  trustHost: getEnv().AUTH_TRUST_HOST,
  logger: {
    // Auth.js logs failed sign-ins as errors with stack traces; a wrong password is not an error,
    // and neither is a client asking for an action Auth.js does not have (/api/auth/anything: a 400).
    error: (error) => {
      const type = (error as { type?: string }).type ?? error.name;
      if (type === "UnknownAction") logger.info("auth: unknown action requested", { message: error.message });
      else if (type !== "CredentialsSignin") {
        // A provider sign-in's failure is wrapped (CallbackRouteError): its cause says what went wrong.
        const cause = (error.cause as { err?: Error } | undefined)?.err?.message;
        logger.error("auth error", { type, message: error.message, ...(cause ? { cause } : {}) });
      }
    },
  },
  providers: [
    Credentials({
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(raw, request) {
        const address = clientAddress(request.headers, getEnv().AUTH_TRUST_HOST);
        const userAgent = request.headers.get("user-agent") ?? undefined;
        const result = await authenticateWithPassword({ email: raw.email, password: raw.password, address, userAgent });
        if (result.outcome === "throttled") throw new TooManySignIns(result.retryAfterMs);
        return result.outcome === "signed-in" ? result.user : null;
      },
    }),
    ...externalProviders(),
  ],
  callbacks: {
    async signIn({ account, profile }) {
      if (!account || account.type === "credentials") return true;
      // A provider's sign-in: only a verified email with an account or a pending invitation (external-sign-in.ts).
      if (await allowExternalSignIn(verifiedEmailOf(profile))) return true;
      logger.info("auth: provider sign-in refused (no account or invitation for the email)", { provider: account.provider });
      return `/signin?error=${NOT_INVITED_ERROR}`;
    },
    async jwt({ token, user, account, profile }) {
      if (user?.id && account && account.type !== "credentials") {
        const email = verifiedEmailOf(profile);
        const team = email ? await teamForExternalSignIn(user.id, email) : undefined;
        user.teamId = team?.teamId;
        user.role = team?.role;
        if (team)
          await recordAudit(
            { teamId: team.teamId, userId: user.id },
            { action: "auth.sign_in", target: { type: "user", id: user.id }, details: { method: account.provider } },
          );
      }
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
      const token = "token" in message ? message.token : undefined;
      const sessionId = token?.sid;
      if (typeof sessionId === "string") await deleteSession(sessionId);
      if (typeof token?.sub === "string" && typeof token.teamId === "string")
        await recordAudit(
          { teamId: token.teamId, userId: token.sub },
          { action: "auth.sign_out", target: { type: "user", id: token.sub } },
        );
    },
  },
}));
