"use server";

import { AuthError } from "next-auth";
import { signIn } from "@/server/auth/auth";
import { externalSignInChoices } from "@/server/auth/external-sign-in";
import { safeNextPath } from "@/server/auth/next-path";

export interface SignInState {
  error?: string;
  email?: string;
}

/** Signs in with email + password. One message for any failure: it must not reveal which field was wrong. */
export async function signInWithPassword(_previous: SignInState, form: FormData): Promise<SignInState> {
  const email = String(form.get("email") ?? "").trim();
  const password = String(form.get("password") ?? "");
  const next = safeNextPath(form.get("next"));
  if (!email || !password) return { error: "Enter your email and password.", email };
  try {
    await signIn("credentials", { email, password, redirectTo: next });
    return {};
  } catch (error) {
    if (error instanceof AuthError) {
      // Says nothing about the account: the limit counts failures per account and per address alike.
      if ((error as { code?: string }).code === "too_many_attempts")
        return { error: "Too many failed sign-ins. Wait a few minutes, then try again.", email };
      return { error: "Invalid email or password.", email };
    }
    throw error; // the redirect after a successful sign-in is thrown too
  }
}

/** Starts a sign-in at a configured identity provider (the sign-in page's provider buttons); it redirects there. */
export async function signInWithProvider(form: FormData): Promise<void> {
  const provider = String(form.get("provider") ?? "");
  if (!externalSignInChoices().some((choice) => choice.id === provider)) return;
  await signIn(provider, { redirectTo: safeNextPath(form.get("next")) });
}
