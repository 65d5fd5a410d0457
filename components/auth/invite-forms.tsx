"use client";

import Link from "next/link";
import { useActionState } from "react";
import { joinAsSignedInUser, joinWithNewAccount, type InviteState } from "@/server/teams/invite-actions";
import { Button } from "@/components/ui/button";
import { ErrorNote } from "@/components/ui/error-note";

/** The invite page's two ways in: join as the person signed in, or create an account (name, email, password) and join. */

const inputClass =
  "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500";

export function JoinAsSignedInForm({ token, teamName, email }: { token: string; teamName: string; email: string }) {
  const [state, action, pending] = useActionState<InviteState, FormData>(joinAsSignedInUser, {});
  return (
    <form action={action} className="space-y-4">
      <input type="hidden" name="token" value={token} />
      <p className="text-sm text-slate-600">
        You are signed in as <strong>{email}</strong>. Joining keeps your other teams; you can switch between them in the header.
      </p>
      <ErrorNote error={state.error ? { message: state.error } : null} />
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? "Joining…" : `Join ${teamName}`}
      </Button>
    </form>
  );
}

export function CreateAccountForm({ token, teamName, email }: { token: string; teamName: string; email: string | null }) {
  const [state, action, pending] = useActionState<InviteState, FormData>(joinWithNewAccount, {});
  return (
    <form action={action} className="space-y-4" noValidate>
      <input type="hidden" name="token" value={token} />
      <div>
        <label htmlFor="invite-name" className="block text-sm font-medium text-slate-700">
          Your name
        </label>
        <input id="invite-name" name="name" autoComplete="name" defaultValue={state.name} className={inputClass} />
      </div>
      <div>
        <label htmlFor="invite-email" className="block text-sm font-medium text-slate-700">
          Email
        </label>
        <input
          id="invite-email"
          name="email"
          type="email"
          autoComplete="email"
          required
          defaultValue={state.email ?? email ?? undefined}
          readOnly={email !== null}
          className={inputClass}
        />
      </div>
      <div>
        <label htmlFor="invite-password" className="block text-sm font-medium text-slate-700">
          Password (at least 8 characters)
        </label>
        <input
          id="invite-password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          className={inputClass}
        />
      </div>
      <ErrorNote error={state.error ? { message: state.error } : null} />
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? "Creating your account…" : `Create account and join ${teamName}`}
      </Button>
      <p className="text-center text-sm text-slate-600">
        Already have an account?{" "}
        <Link href={`/signin?next=${encodeURIComponent(`/invite/${token}`)}`} className="text-indigo-700 underline">
          Sign in
        </Link>{" "}
        and you will come back here.
      </p>
    </form>
  );
}
