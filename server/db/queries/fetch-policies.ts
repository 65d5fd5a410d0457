import { getDb } from "@/server/db/client";
import type { InputJsonObject } from "@/server/db/types";

/** A team's fetch policy, the `fetchPolicy` JSON on `Team` (server/web/fetch-policy.ts gives it meaning). */

/** The stored policy (null when the team has none), or undefined when the team is gone. */
export async function findTeamFetchPolicy(teamId: string): Promise<unknown> {
  const team = await getDb().team.findUnique({ where: { id: teamId }, select: { fetchPolicy: true } });
  return team ? team.fetchPolicy : undefined;
}

/** Replaces the team's policy; false when the team is gone. */
export async function updateTeamFetchPolicy(teamId: string, policy: InputJsonObject): Promise<boolean> {
  const { count } = await getDb().team.updateMany({ where: { id: teamId }, data: { fetchPolicy: policy } });
  return count > 0;
}
