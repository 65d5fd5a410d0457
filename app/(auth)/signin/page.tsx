import type { Metadata } from "next";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { sessionCaller } from "@/server/auth/session-caller";
import { SignInForm } from "@/components/auth/sign-in-form";
import { safeNextPath } from "@/server/auth/next-path";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const next = safeNextPath((await searchParams).next);
  if (await sessionCaller(await headers())) redirect(next);
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-8 shadow-sm">
        <div className="mb-6 flex items-center gap-2">
          {/* eslint-disable-next-line @next/next/no-img-element -- a small SVG logo: next/image has nothing to optimise */}
          <img src="/favicon.svg" alt="" width={32} height={32} />
          <h1 className="text-2xl font-semibold">Sign in to Chorus</h1>
        </div>
        <SignInForm next={next} />
      </div>
    </main>
  );
}
