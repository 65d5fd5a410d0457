import { z } from "zod";
import { BUILT_IN_AGENT_KINDS } from "@/server/agents";
import { listTeamAgentVersionNumbers } from "@/server/db/queries/agent-definitions";
import { listTeamModelProviders } from "@/server/db/queries/model-providers";
import { AppError } from "@/server/errors";
import { modelRoutingSchema, unknownRoutingReference } from "@/server/llm/model-routing";
import { ValidationError } from "@/server/validation";

/**
 * A task's own configuration (`Task.runConfig`): what an experiment (#24) runs each of its cases
 * under. Not part of the public create input — only createTask's third argument sets it.
 * - `models`: a model routing whose lists win over the team's, target by target (then its
 *   `default`, then the team's routing; server/llm/model-routing.ts `chainForTask`);
 * - `agentVersions`: custom agents pinned to a version `{ "<kind>": <version> }` — the task plans
 *   with and runs that version; unpinned kinds run their current version;
 * - `tools: false`: its agents are offered no tools (knowledge search, fetch, web search, MCP).
 * The task's steps read it with the settings they read anyway (server/orchestration/run-config.ts).
 */
export const taskRunConfig = z.strictObject({
  models: modelRoutingSchema.optional(),
  agentVersions: z
    .record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "must be an agent kind"), z.number().int().positive("must be a version number"))
    .optional(),
  tools: z.boolean({ error: "tools must be a boolean" }).optional(),
});
export type TaskRunConfig = z.infer<typeof taskRunConfig>;

/** Errors name the field as an experiment's input does (`config.agentVersions.<kind>`), where the configuration comes from. */
const FIELD_PREFIX = "config.";

/**
 * Parses a run configuration and checks it against the team: every provider its models name is
 * the team's (or "env"), every agent kind it routes or pins is one the team has, and every pinned
 * version exists. A 400 naming the field otherwise. Experiments call it once when they start, and
 * createTask again for each task (two small reads, only for tasks that carry a configuration).
 */
export async function checkTaskRunConfig(teamId: string, raw: unknown): Promise<TaskRunConfig> {
  const parsed = taskRunConfig.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new ValidationError(
      parsed.error.issues.map((issue) => ({ field: `${FIELD_PREFIX}${issue.path.join(".")}`.replace(/\.$/, ""), message: issue.message })),
    );
  }
  const config = parsed.data;
  const needsAgents = config.agentVersions !== undefined || config.models?.agents !== undefined;
  const [providers, versions] = await Promise.all([
    config.models ? listTeamModelProviders(teamId) : Promise.resolve([]),
    needsAgents ? listTeamAgentVersionNumbers(teamId) : Promise.resolve(new Map<string, number[]>()),
  ]);
  if (config.models) {
    const unknown = unknownRoutingReference(config.models, {
      providerIds: new Set(providers.map((provider) => provider.id)),
      agentKinds: [...BUILT_IN_AGENT_KINDS, ...versions.keys()],
    });
    if (unknown) {
      const field = `${FIELD_PREFIX}models.${unknown.path}`;
      throw new AppError("bad_request", `${field}: ${unknown.message}`, field);
    }
  }
  for (const [kind, version] of Object.entries(config.agentVersions ?? {})) {
    const field = `${FIELD_PREFIX}agentVersions.${kind}`;
    const known = versions.get(kind);
    if (!known) throw new AppError("bad_request", `${field}: your team has no custom agent of this kind`, field);
    if (!known.includes(version)) {
      throw new AppError(
        "bad_request",
        `${field}: your team's agent "${kind}" has no version ${version} (it has 1–${Math.max(...known)})`,
        field,
      );
    }
  }
  return config;
}
