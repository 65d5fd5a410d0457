"use server";

import { AuthError } from "next-auth";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { signIn } from "@/server/auth/auth";
import { sessionCaller } from "@/server/auth/session-caller";
import { switchSessionTeam } from "@/server/auth/session-team";
import { AppError } from "@/server/errors";
import { acceptInvitationByToken } from "@/server/teams/invitations";

/** What the invite page's forms do: join as the signed-in user (and switch to the team), or create an account, join and sign in. */
export interface InviteState {
  error?: string;
  name?: string;
  email?: string;
}

export async function joinAsSignedInUser(_previous: InviteState, form: FormData): Promise<InviteState> {
  const requestHeaders = await headers();
  const caller = await sessionCaller(requestHeaders);
  if (!caller?.userId) return { error: "Your session has ended: sign in again, then open the link." };
  try {
    const joined = await acceptInvitationByToken({ token: String(form.get("token") ?? "") }, caller.userId);
    // Land in the team just joined: the same re-issued session a switch in the header makes.
    const { cookie } = await switchSessionTeam(caller, requestHeaders, { teamId: joined.teamId });
    (await cookies()).set(cookie.name, cookie.value, {
      httpOnly: true,
      sameSite: "lax",
      path: "/",
      expires: cookie.expires,
      secure: cookie.secure,
    });
  } catch (error) {
    if (error instanceof AppError) return { error: error.message };
    throw error;
  }
  redirect("/tasks");
}

export async function joinWithNewAccount(_previous: InviteState, form: FormData): Promise<InviteState> {
  const name = String(form.get("name") ?? "").trim();
  const email = String(form.get("email") ?? "").trim();
  const password = String(form.get("password") ?? "");
  try {
    await acceptInvitationByToken({ token: String(form.get("token") ?? ""), name: name || undefined, email, password }, undefined);
  } catch (error) {
    if (error instanceof AppError) return { error: error.message, name, email };
    throw error;
  }
  try {
    // The new account's only team is the one joined: signing in lands there.
    await signIn("credentials", { email, password, redirectTo: "/tasks" });
  } catch (error) {
    if (error instanceof AuthError) redirect("/signin");
    throw error; // the redirect after signing in is thrown too
  }
  return {};
}
