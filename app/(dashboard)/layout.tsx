import Link from "next/link";
import type { ReactNode } from "react";
import { auth, signOut } from "@/server/auth/auth";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { listCallerTeams } from "@/server/auth/session-team";
import { TeamSwitcher } from "@/components/team/team-switcher";
import { Providers } from "@/components/providers";
import { ThemeToggle } from "@/components/theme/theme-toggle";

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const caller = await dashboardCaller();
  const [session, teams] = await Promise.all([auth(), listCallerTeams(caller)]);

  async function signOutAction() {
    "use server";
    await signOut({ redirectTo: "/signin" });
  }

  return (
    <Providers>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3">
          <div className="flex items-center gap-2">
            <Link href="/tasks" className="flex items-center gap-2 font-semibold">
              {/* eslint-disable-next-line @next/next/no-img-element -- a small SVG logo: next/image has nothing to optimise */}
              <img src="/favicon.svg" alt="" width={24} height={24} />
              Chorus
            </Link>
            <TeamSwitcher teams={teams} currentTeamId={caller.teamId} />
          </div>
          <nav className="flex flex-wrap items-center gap-x-4 gap-y-2 text-sm">
            <Link href="/overview" className="text-slate-700 hover:text-slate-900">
              Overview
            </Link>
            <Link href="/tasks" className="text-slate-700 hover:text-slate-900">
              Tasks
            </Link>
            <Link href="/knowledge" className="text-slate-700 hover:text-slate-900">
              Knowledge
            </Link>
            <Link href="/evals" className="text-slate-700 hover:text-slate-900">
              Evals
            </Link>
            <Link href="/usage" className="text-slate-700 hover:text-slate-900">
              Usage
            </Link>
            <Link href="/settings" className="text-slate-700 hover:text-slate-900">
              Settings
            </Link>
            <span className="text-slate-500" data-testid="current-user">
              {session?.user?.email} · {caller.role}
            </span>
            <ThemeToggle />
            <form action={signOutAction}>
              <button type="submit" className="rounded-md border border-slate-300 px-3 py-1 text-slate-700 hover:bg-slate-50">
                Sign out
              </button>
            </form>
          </nav>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="mx-auto max-w-6xl px-4 py-6 focus:outline-none">
        {children}
      </main>
      <footer className="mx-auto max-w-6xl px-4 pb-6 text-sm text-slate-500">
        <Link href="/api-reference" className="hover:text-slate-700">
          API reference
        </Link>
      </footer>
    </Providers>
  );
}
