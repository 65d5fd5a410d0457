import type { Metadata } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { sessionCaller } from "@/server/auth/session-caller";
import { describeInvitation, invitationStateMessage, inviteeEmail } from "@/server/teams/invitations";
import { CreateAccountForm, JoinAsSignedInForm } from "@/components/auth/invite-forms";

export const metadata: Metadata = { title: "Invitation" };
export const dynamic = "force-dynamic";

/**
 * An invitation link (`/invite/<token>`): which team and role it offers, and a way in — join as
 * the person signed in, or create an account. A link that no longer works says why, on a page of
 * its own, not as an error.
 */
export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const invitation = await describeInvitation(token);
  const caller = invitation.state === "pending" ? await sessionCaller(await headers()) : null;
  const signedInEmail = caller?.userId ? await inviteeEmail(caller.userId) : undefined;
  return (
    <main id="main" tabIndex={-1} className="flex min-h-screen items-center justify-center px-4 focus:outline-none">
      <div className="w-full max-w-md rounded-xl border border-slate-200 bg-white p-8 shadow-sm">
        <div className="mb-6 flex items-center gap-2">
          {/* eslint-disable-next-line @next/next/no-img-element -- a small SVG logo: next/image has nothing to optimise */}
          <img src="/favicon.svg" alt="" width={32} height={32} />
          <h1 className="text-2xl font-semibold">
            {invitation.state === "pending" ? `Join ${invitation.teamName} on Chorus` : "This invitation cannot be used"}
          </h1>
        </div>
        {invitation.state !== "pending" ? (
          <div className="space-y-4">
            <p role="alert" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
              {invitationStateMessage(invitation.state)}
            </p>
            <Link href="/signin" className="text-sm text-indigo-700 underline">
              Go to sign-in
            </Link>
          </div>
        ) : (
          <div className="space-y-4">
            <p className="text-sm text-slate-700">
              You are invited as <strong>{invitation.role}</strong>
              {invitation.email ? (
                <>
                  {" "}
                  (for <strong>{invitation.email}</strong>)
                </>
              ) : null}
              .
            </p>
            {signedInEmail ? (
              <JoinAsSignedInForm token={token} teamName={invitation.teamName} email={signedInEmail} />
            ) : (
              <CreateAccountForm token={token} teamName={invitation.teamName} email={invitation.email} />
            )}
          </div>
        )}
      </div>
    </main>
  );
}
