import { requirePermission, type Caller } from "@/server/auth/caller";
import { AppError } from "@/server/errors";
import { listAgentDefinitions } from "@/server/teams/agent-definitions";

/**
 * The "models" an OpenAI client can pick at Chorus: `chorus` (the whole coordinator: plan, agents
 * in parallel, aggregate) and each of the team's agent kinds (that agent alone), listed in OpenAI's
 * format so clients and chat UIs that list models before chatting work. A team agent whose kind
 * is `chorus` is not listed: the name means the coordinator.
 */
export const COORDINATOR_MODEL = "chorus";

export interface OpenAiModel {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  /** Not OpenAI's: what the model does in Chorus, for clients that show it. */
  description: string;
}

const seconds = (date: Date | string | undefined) => (date ? Math.floor(new Date(date).getTime() / 1000) : 0);

export async function listOpenAiModels(caller: Caller): Promise<{ object: "list"; data: OpenAiModel[] }> {
  requirePermission(caller, "read");
  const { agents } = await listAgentDefinitions(caller);
  const coordinator: OpenAiModel = {
    id: COORDINATOR_MODEL,
    object: "model",
    created: 0,
    owned_by: "chorus",
    description: "The full coordinator: plans the request, runs the team's agents in parallel and aggregates their results",
  };
  return {
    object: "list",
    data: [
      coordinator,
      ...agents
        .filter((agent) => agent.kind !== COORDINATOR_MODEL)
        .map((agent) => ({
          id: agent.kind,
          object: "model" as const,
          created: "createdAt" in agent ? seconds(agent.createdAt as Date) : 0,
          owned_by: agent.builtIn ? "chorus" : "team",
          description: `${agent.name} alone: ${agent.description}`,
        })),
    ],
  };
}

/** The model a request names: the coordinator, or one of the team's agent kinds; anything else is a 404 naming `model`. */
export async function resolveChatModel(
  caller: Caller,
  model: string,
): Promise<{ coordinator: true } | { coordinator: false; kind: string }> {
  if (model === COORDINATOR_MODEL) return { coordinator: true };
  const { agents } = await listAgentDefinitions(caller);
  if (agents.some((agent) => agent.kind === model)) return { coordinator: false, kind: model };
  throw new AppError(
    "not_found",
    `The model "${model.slice(0, 100)}" does not exist: use "${COORDINATOR_MODEL}" or one of the team's agent kinds (GET /api/v1/models)`,
    "model",
  );
}
