import type { Metadata } from "next";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { sessionCaller } from "@/server/auth/session-caller";
import { SignInForm } from "@/components/auth/sign-in-form";
import { safeNextPath } from "@/server/auth/next-path";
import { externalSignInChoices, NOT_INVITED_ERROR } from "@/server/auth/external-sign-in";
import { ProviderSignIn } from "@/components/auth/provider-sign-in";

/** What a failed provider sign-in (Auth.js sends `?error=`) means for the person reading it. */
function providerErrorMessage(error: string | undefined): string | undefined {
  if (!error || error === "CredentialsSignin") return undefined;
  if (error === NOT_INVITED_ERROR)
    return "There is no Chorus account or pending invitation for that email (or the provider has not verified it). Ask an admin of your team to invite you.";
  return "Signing in with that provider did not work. Try again, or sign in with your email and password.";
}

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string; error?: string }> }) {
  const params = await searchParams;
  const next = safeNextPath(params.next);
  const providerError = providerErrorMessage(params.error);
  if (await sessionCaller(await headers())) redirect(next);
  return (
    <main id="main" tabIndex={-1} className="flex min-h-screen items-center justify-center px-4 focus:outline-none">
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-8 shadow-sm">
        <div className="mb-6 flex items-center gap-2">
          {/* eslint-disable-next-line @next/next/no-img-element -- a small SVG logo: next/image has nothing to optimise */}
          <img src="/favicon.svg" alt="" width={32} height={32} />
          <h1 className="text-2xl font-semibold">Sign in to Chorus</h1>
        </div>
        {providerError ? (
          <p role="alert" className="mb-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
            {providerError}
          </p>
        ) : null}
        <SignInForm next={next} />
        <ProviderSignIn providers={externalSignInChoices()} next={next} />
      </div>
    </main>
  );
}
