import { createHash } from "node:crypto";
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import type { LanguageModelV3 } from "@ai-sdk/provider";
import type { LanguageModel } from "ai";
import { LRUCache } from "lru-cache";
import { findTeamModelSetup, type ModelProviderWithSecretsRow } from "@/server/db/queries/model-providers";
import { SECRET_COLUMNS, secretContext } from "@/server/db/queries/stored-secrets";
import { logger, registerSecret } from "@/server/observability/logger";
import { decryptSecret, keyIdOfCiphertext } from "@/server/secrets/envelope";
import type { ModelLink, ModelTarget } from "./model-link";
import { chainForTask, ENV_PROVIDER_ID, readStoredRouting, type ModelLinkSpec, type ModelRouting } from "./model-routing";
import { createLanguageModel, openAiModel, resolveModelConfig, type ModelConfig } from "./providers";

/**
 * The model layer's door: which models serve a team's planner, aggregator or agent, in order
 * (`resolveModelChain`), and the one to use now (`modelFor`). The team's routing and providers
 * are read in one query and kept for a few seconds (changes made in this process take effect at
 * once: `forgetTeamModelSetup`); provider clients are built once per provider configuration — id,
 * last change and master key id — and reused across calls and tasks, so a changed key builds a
 * new client and an unchanged one is never rebuilt. A team that configured nothing gets the
 * instance's provider (environment keys), and with none of those the offline model.
 */

/** How long a team's routing and providers are reused before being read again (other processes' changes show within this). */
export const TEAM_SETUP_TTL_MS = 5_000;

const API_KEY_COLUMN = SECRET_COLUMNS.find((column) => column.table === "ModelProvider" && column.column === "apiKeyEncrypted")!;

/** What a provider's key envelope is bound to: moving it to another row breaks it. */
export const apiKeyContext = (providerId: string) => secretContext(API_KEY_COLUMN, providerId);

interface TeamSetup {
  routing: ModelRouting;
  providers: Map<string, ModelProviderWithSecretsRow>;
}

const teamSetups = new Map<string, { expiresAt: number; setup: Promise<TeamSetup> }>();

async function teamSetup(teamId: string): Promise<TeamSetup> {
  const now = Date.now();
  const cached = teamSetups.get(teamId);
  if (cached && cached.expiresAt > now) return cached.setup;
  const setup = findTeamModelSetup(teamId).then((found) => ({
    routing: readStoredRouting(found?.routing),
    providers: new Map((found?.providers ?? []).map((provider) => [provider.id, provider])),
  }));
  teamSetups.set(teamId, { expiresAt: now + TEAM_SETUP_TTL_MS, setup });
  // A failed read is not kept: the next call asks again.
  setup.catch(() => {
    if (teamSetups.get(teamId)?.setup === setup) teamSetups.delete(teamId);
  });
  return setup;
}

/** Drops what this process remembers of a team's routing and providers: called by every change to them. */
export function forgetTeamModelSetup(teamId: string) {
  teamSetups.delete(teamId);
}

/** A provider's client: the AI SDK provider built with its key, and the models made from it. */
interface ProviderClient {
  model(modelId: string): LanguageModelV3;
}

const clients = new LRUCache<string, ProviderClient>({ max: 500 });

/** How many clients were built (not reused) since the process started: tests and benchmarks read it. */
export const clientBuilds = { count: 0 };

function memoisedModels(build: (modelId: string) => LanguageModelV3): ProviderClient {
  const models = new Map<string, LanguageModelV3>();
  return {
    model(modelId) {
      let model = models.get(modelId);
      if (!model) {
        model = build(modelId);
        if (models.size < 100) models.set(modelId, model);
      }
      return model;
    },
  };
}

/** The configuration a cached client stands for: a change to the row (key, URL, API) or a new master key makes another. */
function clientKeyOf(provider: ModelProviderWithSecretsRow): string {
  const keyId = provider.apiKeyEncrypted ? (keyIdOfCiphertext(provider.apiKeyEncrypted) ?? "?") : "none";
  return `${provider.id}:${provider.updatedAt.getTime()}:${keyId}:${provider.api}`;
}

function teamClient(provider: ModelProviderWithSecretsRow): ProviderClient {
  const cacheKey = clientKeyOf(provider);
  let client = clients.get(cacheKey);
  if (client) return client;
  const apiKey = provider.apiKeyEncrypted ? decryptSecret(provider.apiKeyEncrypted, { context: apiKeyContext(provider.id) }) : undefined;
  // Whatever a provider echoes of the key is redacted from the log.
  registerSecret(apiKey);
  const baseURL = provider.baseUrl ?? undefined;
  clientBuilds.count += 1;
  if (provider.kind === "anthropic") {
    const anthropic = createAnthropic({ apiKey: apiKey ?? "not-set", baseURL });
    client = memoisedModels((modelId) => anthropic(modelId) as LanguageModelV3);
  } else {
    // Chat Completions unless the provider asks for the Responses API, as server/llm/providers.ts explains.
    const openai = createOpenAI({
      apiKey: apiKey ?? "not-needed",
      baseURL,
      name: provider.kind === "openai_compatible" ? "openai-compatible" : "openai",
    });
    client = memoisedModels((modelId) => openAiModel(openai, provider.api, modelId));
  }
  clients.set(cacheKey, client);
  return client;
}

const KIND_LABEL = { openai: "OpenAI", anthropic: "Anthropic", openai_compatible: "OpenAI-compatible" } as const;
const KIND_KEY = { openai: "openai", anthropic: "anthropic", openai_compatible: "openai-compatible" } as const;

function teamLink(provider: ModelProviderWithSecretsRow, modelId: string): ModelLink {
  const limits = {
    ...(provider.connectTimeoutMs ? { connectTimeoutMs: provider.connectTimeoutMs } : {}),
    stallTimeoutMs: provider.stallTimeoutMs,
    ...(provider.overallTimeoutMs ? { overallTimeoutMs: provider.overallTimeoutMs } : {}),
  };
  return {
    key: `${provider.id}:${KIND_KEY[provider.kind]}:${modelId}`,
    label: `${KIND_LABEL[provider.kind]} · ${modelId} (${provider.name}${provider.keyLast4 ? `, team key ••••${provider.keyLast4}` : ""})`,
    model: teamClient(provider).model(modelId),
    limits,
  };
}

const ENV_LABEL = { offline: "Offline model", openai: "OpenAI", anthropic: "Anthropic", "openai-compatible": "OpenAI-compatible" } as const;

/**
 * The instance's provider for a model id (the environment is read now: tests and operators change
 * it), reusing the model built for the same configuration. The cache key carries a digest of the
 * keys, never the keys.
 */
function envLink(modelId: string | undefined): ModelLink {
  const config: ModelConfig = resolveModelConfig(process.env, { modelId });
  const keys = `${process.env.OPENAI_API_KEY ?? ""}\0${process.env.ANTHROPIC_API_KEY ?? ""}`;
  const digest = keys === "\0" ? "" : createHash("sha256").update(keys).digest("hex").slice(0, 12);
  const cacheKey = `env:${config.provider}:${config.baseURL ?? ""}:${config.api ?? ""}:${config.offlineTokenDelayMs ?? ""}:${digest}`;
  let client = clients.get(cacheKey);
  if (!client) {
    clientBuilds.count += 1;
    client = memoisedModels((id) => createLanguageModel({ ...config, modelId: id }) as LanguageModelV3);
    clients.set(cacheKey, client);
  }
  return {
    key: `env:${config.provider}:${config.modelId}`,
    label: config.provider === "offline" ? ENV_LABEL.offline : `${ENV_LABEL[config.provider]} · ${config.modelId} (instance key)`,
    model: client.model(config.modelId),
  };
}

/**
 * The models that may serve `target` for the team, in order: the first is used, the next ones are
 * fallbacks. Never empty: with nothing configured, the instance's provider. A route to a provider
 * that no longer exists is skipped (deleting a provider also removes it from the routing).
 * `taskRouting` is a task's own routing (an experiment's, Task.runConfig): its lists win over the
 * team's (chainForTask); the providers it names are still the team's.
 */
export async function resolveModelChain(teamId: string, target: ModelTarget, taskRouting?: ModelRouting): Promise<ModelLink[]> {
  const setup = await teamSetup(teamId);
  const { links, modelIdOverride } = chainForTask(taskRouting, setup.routing, target);
  const resolved: ModelLink[] = [];
  for (const spec of links) {
    const link = linkOf(setup, spec, teamId);
    if (link) resolved.push(link);
  }
  if (resolved.length === 0) resolved.push(envLink(modelIdOverride ?? (target.role === "agent" ? target.modelId : undefined)));
  return resolved;
}

/**
 * The models of an explicit chain (an experiment's judge, server/evals/scorers/judge.ts), else the
 * team's default chain, else the instance's provider: for calls that serve no planner, aggregator
 * or agent role. Never empty.
 */
export async function resolveChainOrDefault(teamId: string, chain: readonly ModelLinkSpec[] | undefined): Promise<ModelLink[]> {
  const setup = await teamSetup(teamId);
  const resolved: ModelLink[] = [];
  for (const spec of chain ?? setup.routing.default ?? []) {
    const link = linkOf(setup, spec, teamId);
    if (link) resolved.push(link);
  }
  if (resolved.length === 0) resolved.push(envLink(undefined));
  return resolved;
}

function linkOf(setup: TeamSetup, spec: ModelLinkSpec, teamId: string): ModelLink | undefined {
  if (spec.providerId === ENV_PROVIDER_ID) return envLink(spec.model);
  const provider = setup.providers.get(spec.providerId);
  if (!provider) {
    logger.warn("A model route names a provider the team no longer has; skipped", { teamId, providerId: spec.providerId });
    return undefined;
  }
  return teamLink(provider, spec.model);
}

/** The model to call for `target` now: the first of its chain (the integrator composes fallback, deadlines and the rest around the chain). */
export async function modelFor(teamId: string, target: ModelTarget): Promise<LanguageModel> {
  const [first] = await resolveModelChain(teamId, target);
  return first!.model;
}
