import type { LanguageModelV3 } from "@ai-sdk/provider";
import type { LanguageModel } from "ai";
import { findTaskModelSettings } from "@/server/db/queries/tasks";
import { getLanguageModel } from "@/server/llm/providers";
import { withCache } from "@/server/llm/response-cache";
import { withUsageRecording, type UsageContext } from "@/server/llm/usage-recording";

/**
 * The model a task's planner, agent or aggregator calls, wrapped so every call is recorded as a
 * ModelCall (what the task's usage sums) and answered from the response cache when the team and
 * the task both allow it (`Team.modelCacheEnabled`, the task's `cache` switch).
 *
 * INTEGRATION (#20): `getLanguageModel` below is where the model is chosen today; the model
 * service's `modelFor(teamId, target)` replaces that one line. The wrapping order stays: usage
 * recording outside the cache, so a cache hit is recorded too (cached, $0).
 */
export async function modelForTask(
  taskId: string,
  target: Omit<UsageContext, "teamId" | "taskId" | "userId"> & { modelId?: string },
): Promise<LanguageModel> {
  const settings = await findTaskModelSettings(taskId);
  const chosen = getLanguageModel(target.role, { modelId: target.modelId }); // INTEGRATION: modelFor(teamId, target)
  if (!settings || typeof chosen === "string" || chosen.specificationVersion !== "v3") return chosen;
  return wrapForTask(chosen, settings, { ...target, taskId });
}

function wrapForTask(
  model: LanguageModelV3,
  settings: { teamId: string; createdById: string | null; useModelCache: boolean; modelCacheEnabled: boolean },
  target: Omit<UsageContext, "teamId" | "userId"> & { modelId?: string },
): LanguageModelV3 {
  const cached = withCache(model, { teamId: settings.teamId, enabled: settings.modelCacheEnabled && settings.useModelCache });
  return withUsageRecording(cached, {
    teamId: settings.teamId,
    taskId: target.taskId,
    executionId: target.executionId,
    role: target.role,
    agentKind: target.agentKind,
    userId: settings.createdById ?? undefined,
  });
}
