import type { LanguageModelV3 } from "@ai-sdk/provider";
import type { LanguageModel } from "ai";
import { findTaskModelSettings, type TaskModelSettings } from "@/server/db/queries/tasks";
import { getLanguageModel } from "@/server/llm/providers";
import { resolveModelChain } from "@/server/llm/model-service";
import type { ModelTarget } from "@/server/llm/model-link";
import { withCache } from "@/server/llm/response-cache";
import { withFallback, type ModelRoute } from "@/server/llm/fallback";
import { logger } from "@/server/observability/logger";
import { withUsageRecording, type UsageContext } from "@/server/llm/usage-recording";
import { hasBudget, withBudget } from "@/server/llm/budget";
import { priceForModel, type ModelPrice } from "@/server/llm/pricing";
import { appendRunEvent } from "@/server/events/run-events";
import { taskRoutingOf } from "./run-config";

/**
 * The model a task's planner, agent or aggregator calls, wrapped so every call is recorded as a
 * ModelCall (what the task's usage sums) and answered from the response cache when the team and
 * the task both allow it (`Team.modelCacheEnabled`, the task's `cache` switch).
 * The model is the team's ordered list (its routing and provider keys, server/llm/model-service.ts,
 * with the task's own routing first when it carries one: Task.runConfig),
 * tried in order behind per-link deadlines and circuit breakers (server/llm/fallback.ts). The
 * wrapping order: usage recording outside the cache (a cache hit is recorded too: cached, $0),
 * the cache outside the task's budget (a hit costs nothing, so reserves nothing), the budget
 * outside the list (server/llm/budget.ts: each call reserves its worst case at the dearest model
 * it may reach). `onRoute` hears which link answered and which were skipped, and why.
 * `settings` saves a query when the caller has read them already (an agent's step reads them
 * with the statement that starts its execution, the planner with the one that starts the task).
 */
export async function modelForTask(
  taskId: string,
  target: Omit<UsageContext, "teamId" | "taskId" | "userId"> & { modelId?: string; onRoute?: (route: ModelRoute) => void },
  knownSettings?: TaskModelSettings,
): Promise<LanguageModel> {
  const settings = knownSettings ?? (await findTaskModelSettings(taskId));
  if (!settings) return getLanguageModel(target.role, { modelId: target.modelId });
  const modelTarget: ModelTarget =
    target.role === "agent" ? { role: "agent", agentKind: target.agentKind ?? "agent", modelId: target.modelId } : { role: target.role };
  // A task's own routing (an experiment's) wins over the team's, target by target.
  const links = await resolveModelChain(settings.teamId, modelTarget, taskRoutingOf(settings.runConfig));
  const onRoute = (route: ModelRoute) => {
    if (route.skipped.length > 0) logger.info("a model call fell back", { taskId, role: target.role, ...route });
    target.onRoute?.(route);
  };
  const routed = withFallback(links, { onRoute });
  const budgeted = hasBudget(settings)
    ? withBudget(routed, {
        teamId: settings.teamId,
        taskId,
        maxCostUsd: settings.maxCostUsd,
        maxTokens: settings.maxTokens,
        monthlyBudgetUsd: settings.monthlyBudgetUsd,
        price: dearestPrice(links.map((link) => link.model.modelId)),
        onWarning: (warning) => {
          appendRunEvent(taskId, "task.budget_warning", { ...warning, share: 0.8 }).catch((error: unknown) =>
            logger.warn("the budget warning could not be stored", { taskId, error }),
          );
        },
      })
    : routed;
  return wrapForTask(budgeted, links.map((link) => link.key).join(">"), settings, { ...target, taskId });
}

/** The highest input and output prices among the models a call may reach; undefined when any is unknown. */
function dearestPrice(modelIds: string[]): ModelPrice | undefined {
  let dearest: ModelPrice | undefined;
  for (const modelId of modelIds) {
    const price = priceForModel(modelId);
    if (!price) return undefined;
    dearest = {
      inputPerMillion: Math.max(dearest?.inputPerMillion ?? 0, price.inputPerMillion),
      outputPerMillion: Math.max(dearest?.outputPerMillion ?? 0, price.outputPerMillion),
    };
  }
  return dearest;
}

function wrapForTask(
  model: LanguageModelV3,
  modelKey: string,
  settings: { teamId: string; createdById: string | null; useModelCache: boolean; modelCacheEnabled: boolean },
  target: Omit<UsageContext, "teamId" | "userId"> & { modelId?: string },
): LanguageModelV3 {
  const cached = withCache(model, { teamId: settings.teamId, enabled: settings.modelCacheEnabled && settings.useModelCache, modelKey });
  return withUsageRecording(cached, {
    teamId: settings.teamId,
    taskId: target.taskId,
    executionId: target.executionId,
    role: target.role,
    agentKind: target.agentKind,
    userId: settings.createdById ?? undefined,
    onCall: target.onCall,
  });
}
