import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "Page not found" };

/**
 * Every unknown address, and every task, document or page outside the caller's team (their
 * pages call notFound()): Chorus's own page with a way back, not the framework's bare one.
 */
export default function NotFound() {
  return (
    <main id="main" tabIndex={-1} className="flex min-h-screen items-center justify-center px-4 focus:outline-none">
      <div className="w-full max-w-md rounded-xl border border-slate-200 bg-white p-8 text-center shadow-sm" data-testid="not-found">
        {/* eslint-disable-next-line @next/next/no-img-element -- a small SVG logo: next/image has nothing to optimise */}
        <img src="/favicon.svg" alt="" width={40} height={40} className="mx-auto" />
        <p className="mt-4 text-sm font-medium text-indigo-700">404</p>
        <h1 className="mt-1 text-2xl font-semibold">This page is not here</h1>
        <p className="mt-2 text-sm text-slate-600">
          The address may be mistyped, or what it pointed to was deleted or belongs to another team.
        </p>
        <div className="mt-6 flex flex-wrap justify-center gap-3">
          <Link
            href="/tasks"
            className="rounded-md bg-indigo-700 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2"
          >
            Back to your tasks
          </Link>
          <Link href="/signin" className="rounded-md px-4 py-2 text-sm font-medium text-slate-700 hover:underline">
            Sign in
          </Link>
        </div>
      </div>
    </main>
  );
}
