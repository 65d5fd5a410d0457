import { z } from "zod";
import type { ModelTarget } from "./model-link";

/**
 * A team's model routing, as stored in `Team.modelRouting` and sent by admins: for the planner,
 * the aggregator, each agent kind and the team `default`, an ordered list of (provider, model) —
 * the first serves, the rest are fallbacks. `providerId: "env"` names the instance's own provider
 * (OPENAI_BASE_URL / OPENAI_API_KEY / ANTHROPIC_API_KEY, or the offline model). Which of these
 * lists serves a call is `chainFor`, a plain function.
 */
export const MAX_CHAIN_LENGTH = 5;
export const ENV_PROVIDER_ID = "env";

/** An agent kind, as server/agents names them. */
const AGENT_KIND = /^[a-z0-9][a-z0-9-]{0,39}$/;

export const modelLinkSpec = z.strictObject({
  providerId: z.string().regex(/^(env|[a-z0-9]{1,40})$/, 'must be a provider id, or "env" for the instance\'s provider'),
  model: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, "must be a model id (printable characters, no spaces)"),
});

export const modelChainSpec = z
  .array(modelLinkSpec)
  .min(1, "must name at least one model")
  .max(MAX_CHAIN_LENGTH, `may hold at most ${MAX_CHAIN_LENGTH} models (the first, then fallbacks)`);

export const modelRoutingSchema = z.strictObject({
  default: modelChainSpec.optional(),
  planner: modelChainSpec.optional(),
  aggregator: modelChainSpec.optional(),
  agents: z
    .record(z.string().regex(AGENT_KIND, "must be an agent kind"), modelChainSpec)
    .refine((value) => Object.keys(value).length <= 200, "may name at most 200 agent kinds")
    .optional(),
});

export type ModelLinkSpec = z.infer<typeof modelLinkSpec>;
export type ModelRouting = z.infer<typeof modelRoutingSchema>;

/** A stored routing, read defensively: anything unreadable counts as "nothing set" rather than failing every call. */
export function readStoredRouting(value: unknown): ModelRouting {
  const parsed = modelRoutingSchema.safeParse(value ?? {});
  return parsed.success ? parsed.data : {};
}

/**
 * The chain for a target: its own list (planner, aggregator, the agent's kind), else the team
 * default, else none (the instance's provider). A custom agent's own model id (AgentDefinition
 * `modelId`) applies only when the team routes nothing to its kind: it replaces the model of the
 * first link of the default chain (same provider, the rest stay fallbacks) — an explicit route for
 * the kind is the admin's later, more specific choice and wins.
 */
export function chainFor(routing: ModelRouting, target: ModelTarget): { links: ModelLinkSpec[]; modelIdOverride?: string } {
  const own =
    target.role === "planner" ? routing.planner : target.role === "aggregator" ? routing.aggregator : routing.agents?.[target.agentKind];
  if (own) return { links: own };
  const links = routing.default ?? [];
  const modelIdOverride = target.role === "agent" ? target.modelId?.trim() || undefined : undefined;
  if (!modelIdOverride) return { links };
  if (links.length === 0) return { links, modelIdOverride };
  return { links: [{ ...links[0]!, model: modelIdOverride }, ...links.slice(1)] };
}

/**
 * The chain for a target of a task that carries its own routing (an experiment's, Task.runConfig):
 * the task's list for the target wins, then the task's `default` (an explicit choice for every
 * target, so a custom agent's own model id does not replace it), then the team's routing as
 * `chainFor` reads it.
 */
export function chainForTask(
  taskRouting: ModelRouting | undefined,
  teamRouting: ModelRouting,
  target: ModelTarget,
): { links: ModelLinkSpec[]; modelIdOverride?: string } {
  if (taskRouting) {
    const own =
      target.role === "planner"
        ? taskRouting.planner
        : target.role === "aggregator"
          ? taskRouting.aggregator
          : taskRouting.agents?.[target.agentKind];
    if (own) return { links: own };
    if (taskRouting.default) return { links: taskRouting.default };
  }
  return chainFor(teamRouting, target);
}

/**
 * The first reference in a routing the team cannot serve: an agent kind it does not have, or a
 * provider that is not its own (nor "env"). `path` names the offending field (e.g.
 * `planner.0.providerId`), for an error that points at it.
 */
export function unknownRoutingReference(
  routing: ModelRouting,
  known: { providerIds: ReadonlySet<string>; agentKinds: readonly string[] },
): { path: string; message: string } | undefined {
  for (const kind of Object.keys(routing.agents ?? {})) {
    if (!known.agentKinds.includes(kind)) return { path: `agents.${kind}`, message: "your team has no agent of this kind" };
  }
  const chains: Array<[string, ModelLinkSpec[] | undefined]> = [
    ["default", routing.default],
    ["planner", routing.planner],
    ["aggregator", routing.aggregator],
    ...Object.entries(routing.agents ?? {}).map(([kind, chain]): [string, ModelLinkSpec[]] => [`agents.${kind}`, chain]),
  ];
  for (const [path, chain] of chains) {
    const index = chain?.findIndex((link) => link.providerId !== ENV_PROVIDER_ID && !known.providerIds.has(link.providerId)) ?? -1;
    if (index >= 0)
      return { path: `${path}.${index}.providerId`, message: `your team has no model provider "${chain![index]!.providerId}"` };
  }
  return undefined;
}
