import { z } from "zod";
import { recordAudit } from "@/server/audit/record-audit";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { findTeamModelCacheEnabled, updateTeamModelCacheEnabled } from "@/server/db/queries/teams";
import { AppError } from "@/server/errors";
import { getEnv } from "@/server/env";
import { parseInput } from "@/server/validation";

/**
 * The team's response-cache switch (docs/model-usage.md): on, identical model calls of the
 * team's tasks are answered from the cache (a task can still opt out with `cache: false`).
 * Every member may see it; admins change it ("manage").
 */

export const modelCacheSettingsInput = z.object({
  enabled: z.boolean({ error: "enabled must be a boolean" }),
});

/** What the settings answer with (and the OpenAPI document publishes). */
export const modelCacheSettingsView = z
  .object({ enabled: z.boolean(), ttlSeconds: z.number().int().meta({ description: "How long a cached answer is served" }) })
  .meta({ id: "ModelCacheSettings" });

export async function readModelCacheSettings(caller: Caller) {
  requirePermission(caller, "read");
  return present(await findTeamModelCacheEnabled(caller.teamId));
}

export async function updateModelCacheSettings(caller: Caller, rawInput: unknown) {
  requirePermission(caller, "manage");
  const input = parseInput(modelCacheSettingsInput, rawInput);
  const enabled = await updateTeamModelCacheEnabled(caller.teamId, input.enabled);
  if (enabled !== undefined)
    await recordAudit(caller, {
      action: "settings.model_cache_updated",
      target: { type: "team", id: caller.teamId },
      details: { enabled },
    });
  return present(enabled);
}

function present(enabled: boolean | undefined): z.output<typeof modelCacheSettingsView> {
  if (enabled === undefined) throw new AppError("not_found", "Team not found");
  return { enabled, ttlSeconds: getEnv().CHORUS_MODEL_CACHE_TTL_SECONDS };
}
