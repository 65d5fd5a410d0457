import { recordAudit } from "@/server/audit/record-audit";
import GitHub from "next-auth/providers/github";
import type { Provider } from "next-auth/providers";
import { acceptInvitation, findPendingInvitationsForEmail } from "@/server/db/queries/invitations";
import { findUserWithMemberships } from "@/server/db/queries/users";
import { getEnv } from "@/server/env";
import type { Role } from "@/server/db/types";

/**
 * Sign-in through an identity provider — any OpenID Connect provider (CHORUS_OIDC_*) and GitHub
 * (AUTH_GITHUB_*) — beside email + password, each only when configured. There is no open
 * sign-up: a person gets in when the provider vouches for their email (verified) and that email
 * already has a Chorus account (they land in their first team, as with a password) or a pending
 * invitation bound to it (they join that team with its role). Anyone else is refused with a
 * message on the sign-in page. Invitations bound to the email are accepted at sign-in.
 */

export const OIDC_PROVIDER_ID = "oidc";
export const NOT_INVITED_ERROR = "NotInvited";

/** The configured providers, for next-auth. Linking by email is safe here: only verified emails get in (allowExternalSignIn). */
export function externalProviders(): Provider[] {
  const env = getEnv();
  const providers: Provider[] = [];
  if (env.CHORUS_OIDC_ISSUER && env.CHORUS_OIDC_CLIENT_ID) {
    providers.push({
      id: OIDC_PROVIDER_ID,
      name: env.CHORUS_OIDC_NAME,
      type: "oidc",
      issuer: env.CHORUS_OIDC_ISSUER,
      clientId: env.CHORUS_OIDC_CLIENT_ID,
      clientSecret: env.CHORUS_OIDC_CLIENT_SECRET,
      authorization: { params: { scope: "openid email profile" } },
      checks: ["pkce", "state", "nonce"],
      // The profile (email, email_verified) from the userinfo endpoint: conformant providers put
      // scope claims there, and not necessarily in the ID token.
      idToken: false,
      allowDangerousEmailAccountLinking: true,
    });
  }
  if (env.AUTH_GITHUB_ID && env.AUTH_GITHUB_SECRET) {
    const github = GitHub({ clientId: env.AUTH_GITHUB_ID, clientSecret: env.AUTH_GITHUB_SECRET, allowDangerousEmailAccountLinking: true });
    providers.push({ ...github, userinfo: { url: "https://api.github.com/user", request: githubProfileWithVerifiedEmail } });
  }
  return providers;
}

/** The sign-in page's buttons: id and label of each configured provider. */
export function externalSignInChoices(): Array<{ id: string; name: string }> {
  return externalProviders().map((provider) => {
    const { id, name } = provider as { id: string; name: string };
    return { id, name };
  });
}

/**
 * GitHub's profile with the account's primary email only if GitHub has verified it. Auth.js's
 * preset takes the public or primary email whether verified or not; an unverified address is
 * anyone's claim, and here an email decides which Chorus account one signs in to.
 */
async function githubProfileWithVerifiedEmail({ tokens }: { tokens: { access_token?: string } }) {
  const headers = { Authorization: `Bearer ${tokens.access_token}`, "User-Agent": "chorus" };
  const profile = (await fetch("https://api.github.com/user", { headers }).then((response) => response.json())) as Record<string, unknown>;
  const response = await fetch("https://api.github.com/user/emails", { headers });
  const emails = response.ok ? ((await response.json()) as Array<{ email: string; primary: boolean; verified: boolean }>) : [];
  const primary = emails.find((entry) => entry.primary && entry.verified);
  return { ...profile, email: primary?.email ?? null, email_verified: Boolean(primary) };
}

/** The email a provider vouches for: OIDC's `email` with `email_verified: true` (GitHub's profile is made to say the same). */
export function verifiedEmailOf(profile: Record<string, unknown> | undefined): string | undefined {
  const email = profile?.email;
  // Some providers (Amazon Cognito among them) send the flag as the string "true".
  const verified = profile?.email_verified === true || profile?.email_verified === "true";
  if (typeof email !== "string" || !verified) return undefined;
  return email.trim().toLowerCase();
}

/** Whether a person the provider vouches for may sign in: their email has an account in a team, or a pending invitation. */
export async function allowExternalSignIn(email: string | undefined, now = new Date()): Promise<boolean> {
  if (!email) return false;
  const user = await findUserWithMemberships(email);
  if (user && user.memberships.length > 0) return true;
  return (await findPendingInvitationsForEmail(email, now)).length > 0;
}

/**
 * The team a provider sign-in lands in: the pending invitations bound to the email are accepted
 * first (the team of the newest one joined wins), else the user's first team. Undefined when there is none.
 */
export async function teamForExternalSignIn(
  userId: string,
  email: string,
  now = new Date(),
): Promise<{ teamId: string; role: Role } | undefined> {
  let joined: { teamId: string; role: Role } | undefined;
  for (const invitation of await findPendingInvitationsForEmail(email, now)) {
    const result = await acceptInvitation({ invitationId: invitation.id, now, user: { id: userId } });
    if (result.outcome !== "joined") continue;
    joined = { teamId: result.teamId, role: result.role };
    await recordAudit(
      { teamId: result.teamId, userId },
      {
        action: "member.joined",
        target: { type: "user", id: userId },
        details: { role: result.role, invitationId: invitation.id, via: "sign-in" },
      },
    );
  }
  if (joined) return joined;
  const first = (await findUserWithMemberships(email))?.memberships.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())[0];
  return first ? { teamId: first.teamId, role: first.role } : undefined;
}
