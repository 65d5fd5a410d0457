import { getDb } from "@/server/db/client";
import type { Prisma } from "@/server/db/generated/client";

/**
 * A team's MCP servers, `McpServer` rows, unique per (team, name). Every query takes the team and
 * filters by it. Only the reads that connect to a server (`…WithSecrets`) return the encrypted
 * headers; every other query leaves them out (`omit`), so no answer can carry them by accident.
 */
const withoutSecrets = { headersEncrypted: true } as const;

export type McpServerRow = Prisma.McpServerGetPayload<{ omit: typeof withoutSecrets }>;
export type McpServerWithSecretsRow = Prisma.McpServerGetPayload<object>;

export async function listTeamMcpServers(teamId: string): Promise<McpServerRow[]> {
  return getDb().mcpServer.findMany({ where: { teamId }, omit: withoutSecrets, orderBy: [{ name: "asc" }] });
}

export async function findTeamMcpServer(teamId: string, id: string): Promise<McpServerRow | null> {
  return getDb().mcpServer.findFirst({ where: { id, teamId }, omit: withoutSecrets });
}

export async function findTeamMcpServerWithSecrets(teamId: string, id: string): Promise<McpServerWithSecretsRow | null> {
  return getDb().mcpServer.findFirst({ where: { id, teamId } });
}

/** The enabled servers an agent of `agentKind` may use, with their encrypted headers (to connect). */
export async function listAgentMcpServers(teamId: string, agentKind: string): Promise<McpServerWithSecretsRow[]> {
  return getDb().mcpServer.findMany({
    where: { teamId, enabled: true, OR: [{ allAgents: true }, { allowedAgents: { has: agentKind } }] },
    orderBy: [{ name: "asc" }],
  });
}

export type McpServerFields = Omit<Prisma.McpServerUncheckedCreateInput, "teamId" | "createdAt" | "updatedAt">;

/** Stores a server; `id` is given because the headers' envelope is bound to it. A taken name: a unique violation. */
export async function insertMcpServer(teamId: string, fields: McpServerFields & { id: string }): Promise<McpServerRow> {
  return getDb().mcpServer.create({ data: { ...fields, teamId }, omit: withoutSecrets });
}

/** Changes the team's server; null when the team has no server with this id. A taken name: a unique violation. */
export async function updateTeamMcpServer(
  teamId: string,
  id: string,
  fields: Partial<Omit<McpServerFields, "id">>,
): Promise<McpServerRow | null> {
  const { count } = await getDb().mcpServer.updateMany({ where: { id, teamId }, data: fields });
  return count === 0 ? null : findTeamMcpServer(teamId, id);
}

export async function deleteTeamMcpServer(teamId: string, id: string): Promise<boolean> {
  const { count } = await getDb().mcpServer.deleteMany({ where: { id, teamId } });
  return count > 0;
}
