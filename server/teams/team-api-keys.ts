import { recordAudit } from "@/server/audit/record-audit";
import { z } from "zod";
import { createApiKey, revokeApiKey } from "@/server/auth/api-keys";
import { API_KEY_LIFETIME_FORMAT, parseApiKeyLifetime } from "@/server/auth/api-key-lifetime";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { roleWithin } from "@/server/auth/permissions";
import { findApiKey, listApiKeysWithCreators } from "@/server/db/queries/api-keys";
import { AppError } from "@/server/errors";
import { parseInput } from "@/server/validation";
import { roleSchema } from "./members";

/**
 * A team's API keys as admins manage them from the dashboard and the API (the CLI makes them
 * too): create with a name, a role no higher than the creator's and an optional lifetime — the
 * key is returned this once —, list without secrets, revoke.
 */
export const createApiKeyInput = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: roleSchema,
    /** How long the key lasts, as the CLI's --expires-in takes it ("90d", "12h"); none: until revoked. */
    expiresIn: z
      .string()
      .max(20)
      .refine((text) => parseApiKeyLifetime(text) !== undefined, `must be ${API_KEY_LIFETIME_FORMAT}`)
      .optional(),
  })
  .strict();
export const apiKeyIdInput = z.object({ id: z.string().min(1).max(100) }).strict();

export async function listTeamApiKeys(caller: Caller) {
  requirePermission(caller, "manage");
  const keys = await listApiKeysWithCreators(caller.teamId);
  return keys.map(({ createdBy, ...key }) => ({ ...key, createdBy: createdBy ? createdBy.name?.trim() || createdBy.email : null }));
}

export async function createTeamApiKey(caller: Caller, raw: unknown) {
  requirePermission(caller, "manage");
  const input = parseInput(createApiKeyInput, raw);
  if (!roleWithin(input.role, caller.role))
    throw new AppError("forbidden", `You cannot create a key with a role above yours (${caller.role})`, "role");
  const lifetimeMs = input.expiresIn === undefined ? undefined : parseApiKeyLifetime(input.expiresIn)!;
  const { key, record } = await createApiKey({
    teamId: caller.teamId,
    role: input.role,
    name: input.name,
    createdById: caller.userId,
    expiresAt: lifetimeMs === undefined ? undefined : new Date(Date.now() + lifetimeMs),
  });
  await recordAudit(caller, {
    action: "api_key.created",
    target: { type: "api_key", id: record.id },
    details: { name: input.name, role: input.role, expiresIn: input.expiresIn ?? null },
  });
  // The secret leaves the server this once; only its hash is kept.
  return { ...record, key };
}

/** Revokes one of the team's keys; revoking a revoked key again answers it unchanged. */
export async function revokeTeamApiKey(caller: Caller, apiKeyId: string) {
  requirePermission(caller, "manage");
  const { id } = parseInput(apiKeyIdInput, { id: apiKeyId });
  await revokeApiKey(caller.teamId, id);
  const key = await findApiKey(caller.teamId, id);
  if (!key) throw new AppError("not_found", "No API key with this id in this team", "id");
  await recordAudit(caller, { action: "api_key.revoked", target: { type: "api_key", id } });
  return key;
}
