import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { Caller } from "./caller";
import { signInPath } from "./next-path";
import { sessionCaller } from "./session-caller";
import { REQUEST_PATH_HEADER } from "./request-path";

/**
 * The signed-in member a dashboard page renders for. A visitor without a valid session is sent
 * to sign-in with the page they asked for as `next`, so a task link shared with a signed-out
 * teammate opens that task once they have signed in.
 */
export async function dashboardCaller(): Promise<Caller> {
  const requestHeaders = await headers();
  const caller = await sessionCaller(requestHeaders);
  if (!caller) redirect(signInPath(requestHeaders.get(REQUEST_PATH_HEADER)));
  return caller;
}
