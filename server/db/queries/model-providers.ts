import { getDb } from "@/server/db/client";
import type { Prisma } from "@/server/db/generated/client";
import type { InputJsonValue, JsonValue } from "@/server/db/types";

/**
 * A team's model providers (`ModelProvider` rows, unique per team and name) and its model routing
 * (`Team.modelRouting`). Every query takes the team and filters by it. Only the read that builds
 * clients (`findTeamModelSetup`) returns the encrypted key; every other query leaves it out
 * (`omit`), so no answer can carry it by accident.
 */
const withoutSecrets = { apiKeyEncrypted: true } as const;

export type ModelProviderRow = Prisma.ModelProviderGetPayload<{ omit: typeof withoutSecrets }>;
export type ModelProviderWithSecretsRow = Prisma.ModelProviderGetPayload<object>;

export async function listTeamModelProviders(teamId: string): Promise<ModelProviderRow[]> {
  return getDb().modelProvider.findMany({ where: { teamId }, omit: withoutSecrets, orderBy: [{ name: "asc" }] });
}

export async function findTeamModelProvider(teamId: string, id: string): Promise<ModelProviderRow | null> {
  return getDb().modelProvider.findFirst({ where: { id, teamId }, omit: withoutSecrets });
}

export async function findTeamModelProviderWithSecrets(teamId: string, id: string): Promise<ModelProviderWithSecretsRow | null> {
  return getDb().modelProvider.findFirst({ where: { id, teamId } });
}

/**
 * Everything the model service needs to build a team's clients, in one read: the routing and the
 * providers with their encrypted keys. Null when the team does not exist.
 */
export async function findTeamModelSetup(
  teamId: string,
): Promise<{ routing: JsonValue | null; providers: ModelProviderWithSecretsRow[] } | null> {
  const team = await getDb().team.findUnique({ where: { id: teamId }, select: { modelRouting: true, modelProviders: true } });
  return team ? { routing: team.modelRouting, providers: team.modelProviders } : null;
}

export type ModelProviderFields = Omit<Prisma.ModelProviderUncheckedCreateInput, "teamId" | "createdAt" | "updatedAt">;

/** Stores a provider; `id` is given because the key's envelope is bound to it. A taken name: a unique violation. */
export async function insertModelProvider(teamId: string, fields: ModelProviderFields & { id: string }): Promise<ModelProviderRow> {
  return getDb().modelProvider.create({ data: { ...fields, teamId }, omit: withoutSecrets });
}

/** Changes the team's provider; null when the team has none with this id. A taken name: a unique violation. */
export async function updateTeamModelProvider(
  teamId: string,
  id: string,
  fields: Partial<Omit<ModelProviderFields, "id">>,
): Promise<ModelProviderRow | null> {
  const { count } = await getDb().modelProvider.updateMany({ where: { id, teamId }, data: { ...fields, updatedAt: new Date() } });
  return count === 0 ? null : findTeamModelProvider(teamId, id);
}

export async function deleteTeamModelProvider(teamId: string, id: string): Promise<boolean> {
  const { count } = await getDb().modelProvider.deleteMany({ where: { id, teamId } });
  return count > 0;
}

export async function findTeamModelRouting(teamId: string): Promise<JsonValue | null> {
  const team = await getDb().team.findUnique({ where: { id: teamId }, select: { modelRouting: true } });
  return team?.modelRouting ?? null;
}

/** Replaces the team's routing (`{}`: the instance's defaults for every role). */
export async function updateTeamModelRouting(teamId: string, routing: InputJsonValue): Promise<void> {
  await getDb().team.updateMany({ where: { id: teamId }, data: { modelRouting: routing } });
}
