import { getDb, query } from "@/server/db/client";

/** Teams, `Team` rows: the tenant every other row belongs to. `slug` is unique. */

/** Stores a team; a slug already taken fails with a unique violation (isUniqueViolation). */
export async function insertTeam(team: { slug: string; name: string }) {
  return getDb().team.create({ data: team });
}

export async function findTeamBySlug(slug: string) {
  return getDb().team.findUnique({ where: { slug } });
}

/** The team's name; undefined when the team is gone. */
export async function findTeamName(teamId: string): Promise<string | undefined> {
  const team = await getDb().team.findUnique({ where: { id: teamId }, select: { name: true } });
  return team?.name;
}

/** Tools (by name) whose every call waits for a member's approval in this team. */
export async function findTeamToolsNeedingApproval(teamId: string): Promise<string[]> {
  const team = await getDb().team.findUnique({ where: { id: teamId }, select: { toolsNeedingApproval: true } });
  return team?.toolsNeedingApproval ?? [];
}

export async function updateTeamToolsNeedingApproval(teamId: string, tools: readonly string[]): Promise<string[]> {
  const team = await getDb().team.update({
    where: { id: teamId },
    data: { toolsNeedingApproval: [...tools] },
    select: { toolsNeedingApproval: true },
  });
  return team.toolsNeedingApproval;
}

/** Whether identical model calls of this team may be answered from the response cache; undefined when the team is gone. */
export async function findTeamModelCacheEnabled(teamId: string): Promise<boolean | undefined> {
  const team = await getDb().team.findUnique({ where: { id: teamId }, select: { modelCacheEnabled: true } });
  return team?.modelCacheEnabled;
}

export async function updateTeamModelCacheEnabled(teamId: string, enabled: boolean): Promise<boolean> {
  const team = await getDb().team.update({
    where: { id: teamId },
    data: { modelCacheEnabled: enabled },
    select: { modelCacheEnabled: true },
  });
  return team.modelCacheEnabled;
}

/**
 * The team's monthly budget in USD, or null when none is set. Read from the row as JSON so it
 * answers null, not an error, on a database without the `monthlyBudgetUsd` column (issue #20 §8
 * adds it in a migration of its own).
 */
export async function findTeamMonthlyBudgetUsd(teamId: string): Promise<number | null> {
  const { rows } = await query<{ budget: string | null }>(
    `SELECT (to_jsonb(t) ->> 'monthlyBudgetUsd') AS budget FROM "Team" t WHERE t.id = $1`,
    [teamId],
  );
  const budget = Number(rows[0]?.budget ?? Number.NaN);
  return Number.isFinite(budget) && budget > 0 ? budget : null;
}

/** The team with this id, or else with this slug; null when there is none. */
export async function findTeamBySlugOrId(idOrSlug: string) {
  return getDb().team.findFirst({ where: { OR: [{ id: idOrSlug }, { slug: idOrSlug }] }, select: { id: true, slug: true, name: true } });
}
