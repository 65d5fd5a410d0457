import { BUILT_IN_AGENT_KINDS } from "@/server/agents";
import { recordAudit } from "@/server/audit/record-audit";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { listTeamAgentDefinitions } from "@/server/db/queries/agent-definitions";
import {
  deleteTeamModelProvider,
  findTeamModelProvider,
  findTeamModelProviderWithSecrets,
  findTeamModelRouting,
  insertModelProvider,
  listTeamModelProviders,
  updateTeamModelProvider,
  updateTeamModelRouting,
  type ModelProviderRow,
} from "@/server/db/queries/model-providers";
import { newRowId } from "@/server/db/row-id";
import type { InputJsonObject } from "@/server/db/types";
import { isUniqueViolation } from "@/server/db/unique-violation";
import { AppError } from "@/server/errors";
import { apiKeyContext, forgetTeamModelSetup } from "@/server/llm/model-service";
import { modelRoutingSchema, readStoredRouting, unknownRoutingReference, type ModelRouting } from "@/server/llm/model-routing";
import { logger } from "@/server/observability/logger";
import { decryptSecret, encryptSecret, SecretUnreadableError } from "@/server/secrets/envelope";
import { parseInput } from "@/server/validation";
import { createModelProviderInput, updateModelProviderInput } from "./model-provider-schemas";
import { checkProviderKey } from "./provider-key-check";

/**
 * A team's model providers and model routing (docs/models.md): members with "read" see them —
 * a key only as its last four characters — and admins ("manage") add, change, test and remove
 * providers and choose which models serve each role and agent kind. Every change is forgotten by
 * this process's model service at once, so the next call uses it.
 */

const KIND_OUT = { openai: "openai", anthropic: "anthropic", openai_compatible: "openai-compatible" } as const;
const KIND_IN = { openai: "openai", anthropic: "anthropic", "openai-compatible": "openai_compatible" } as const;

/** A provider as the API and dashboard show it: never the key, only whether there is one and its last four characters. */
export function presentModelProvider(row: ModelProviderRow) {
  return {
    id: row.id,
    name: row.name,
    kind: KIND_OUT[row.kind],
    baseUrl: row.baseUrl,
    hasKey: row.keyLast4 !== null,
    keyLast4: row.keyLast4,
    connectTimeoutMs: row.connectTimeoutMs,
    stallTimeoutMs: row.stallTimeoutMs,
    overallTimeoutMs: row.overallTimeoutMs,
    api: row.api,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export type ModelProviderView = ReturnType<typeof presentModelProvider>;

/** Ids are cuids; anything else names no provider (and may hold what Postgres can't compare). */
const PROVIDER_ID = /^[a-z0-9]{1,40}$/;

function notFound(id: string): AppError {
  return new AppError("not_found", `No model provider "${id.slice(0, 40)}" in your team`, "id");
}

function nameTaken(name: string): AppError {
  return new AppError("conflict", `Your team already has a model provider "${name}"`, "name");
}

async function providerOfTeam(caller: Caller, id: string): Promise<ModelProviderRow> {
  const row = PROVIDER_ID.test(id) ? await findTeamModelProvider(caller.teamId, id) : null;
  if (!row) throw notFound(id);
  return row;
}

function assertBaseUrlWhereNeeded(kind: keyof typeof KIND_IN, baseUrl: string | null | undefined) {
  if (kind === "openai-compatible" && !baseUrl)
    throw new AppError(
      "bad_request",
      "baseUrl: an OpenAI-compatible provider needs its base URL (e.g. http://localhost:11434/v1)",
      "baseUrl",
    );
}

/** Anthropic has one API: asking for another is a mistake worth saying, not a setting to ignore. */
function assertApiFitsKind(kind: keyof typeof KIND_IN, api: string | undefined) {
  if (kind === "anthropic" && api !== undefined && api !== "chat_completions")
    throw new AppError("bad_request", "api: only OpenAI and OpenAI-compatible providers can use the Responses API", "api");
}

const keyFields = (id: string, apiKey: string) => ({
  apiKeyEncrypted: encryptSecret(apiKey, { context: apiKeyContext(id) }),
  keyLast4: apiKey.slice(-4),
});

export async function listModelProviders(caller: Caller) {
  requirePermission(caller, "read");
  return { providers: (await listTeamModelProviders(caller.teamId)).map(presentModelProvider) };
}

export async function getModelProvider(caller: Caller, id: string) {
  requirePermission(caller, "read");
  return presentModelProvider(await providerOfTeam(caller, id));
}

export async function createModelProvider(caller: Caller, rawInput: unknown) {
  requirePermission(caller, "manage");
  const input = parseInput(createModelProviderInput, rawInput);
  assertBaseUrlWhereNeeded(input.kind, input.baseUrl);
  assertApiFitsKind(input.kind, input.api);
  const id = newRowId();
  try {
    const row = await insertModelProvider(caller.teamId, {
      id,
      name: input.name,
      kind: KIND_IN[input.kind],
      baseUrl: input.baseUrl ?? null,
      ...(input.apiKey ? keyFields(id, input.apiKey) : {}),
      connectTimeoutMs: input.connectTimeoutMs ?? null,
      ...(input.stallTimeoutMs !== undefined ? { stallTimeoutMs: input.stallTimeoutMs } : {}),
      overallTimeoutMs: input.overallTimeoutMs ?? null,
      ...(input.api !== undefined ? { api: input.api } : {}),
    });
    forgetTeamModelSetup(caller.teamId);
    await recordAudit(caller, {
      action: "model_provider.created",
      target: { type: "model_provider", id: row.id },
      details: { name: input.name, kind: input.kind, keyStored: Boolean(input.apiKey) },
    });
    return presentModelProvider(row);
  } catch (error) {
    // The unique (teamId, name) decides, not a look-up first: two creates at once would both find nothing.
    if (isUniqueViolation(error)) throw nameTaken(input.name);
    throw error;
  }
}

export async function updateModelProvider(caller: Caller, id: string, rawInput: unknown) {
  requirePermission(caller, "manage");
  const current = await providerOfTeam(caller, id);
  const input = parseInput(updateModelProviderInput, rawInput);
  const kind = input.kind ?? KIND_OUT[current.kind];
  const baseUrl = input.baseUrl === undefined ? current.baseUrl : input.baseUrl;
  assertBaseUrlWhereNeeded(kind, baseUrl);
  // Turning a provider into anthropic drops a Responses choice it can no longer use.
  const api = input.api ?? (kind === "anthropic" ? "chat_completions" : current.api);
  assertApiFitsKind(kind, input.api);
  // A stored key was given for one address: sending it to another would hand it to whoever runs it.
  if (
    input.apiKey === undefined &&
    current.keyLast4 !== null &&
    originOf(baseUrl, kind) !== originOf(current.baseUrl, KIND_OUT[current.kind])
  ) {
    throw new AppError("bad_request", "apiKey: the provider moves to another address, so give its key again", "apiKey");
  }
  try {
    const row = await updateTeamModelProvider(caller.teamId, id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      kind: KIND_IN[kind],
      baseUrl,
      ...(input.apiKey === null ? { apiKeyEncrypted: null, keyLast4: null } : input.apiKey ? keyFields(id, input.apiKey) : {}),
      ...(input.connectTimeoutMs !== undefined ? { connectTimeoutMs: input.connectTimeoutMs } : {}),
      ...(input.stallTimeoutMs !== undefined ? { stallTimeoutMs: input.stallTimeoutMs } : {}),
      ...(input.overallTimeoutMs !== undefined ? { overallTimeoutMs: input.overallTimeoutMs } : {}),
      api,
    });
    if (!row) throw notFound(id);
    forgetTeamModelSetup(caller.teamId);
    // Which fields changed, never their values: one of them may be the key.
    await recordAudit(caller, {
      action: "model_provider.updated",
      target: { type: "model_provider", id },
      details: { name: row.name, changed: Object.keys(input).filter((field) => input[field as keyof typeof input] !== undefined) },
    });
    return presentModelProvider(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(input.name ?? current.name);
    throw error;
  }
}

const DEFAULT_ORIGIN = { openai: "https://api.openai.com", anthropic: "https://api.anthropic.com", "openai-compatible": "" } as const;

function originOf(baseUrl: string | null, kind: keyof typeof KIND_IN): string {
  return baseUrl && URL.canParse(baseUrl) ? new URL(baseUrl).origin : DEFAULT_ORIGIN[kind];
}

/** Removes the provider, and every route to it (a chain left empty falls back to the team default, then the instance's). */
export async function deleteModelProvider(caller: Caller, id: string) {
  requirePermission(caller, "manage");
  await providerOfTeam(caller, id);
  const routing = readStoredRouting(await findTeamModelRouting(caller.teamId));
  await updateTeamModelRouting(caller.teamId, withoutProvider(routing, id) as InputJsonObject);
  if (!(await deleteTeamModelProvider(caller.teamId, id))) throw notFound(id);
  forgetTeamModelSetup(caller.teamId);
  await recordAudit(caller, { action: "model_provider.deleted", target: { type: "model_provider", id } });
  return { deleted: id };
}

function withoutProvider(routing: ModelRouting, providerId: string): ModelRouting {
  const keep = (chain: ModelRouting["default"]) => {
    const left = chain?.filter((link) => link.providerId !== providerId);
    return left && left.length > 0 ? left : undefined;
  };
  const agents = Object.fromEntries(
    Object.entries(routing.agents ?? {}).flatMap(([kind, chain]) => (keep(chain) ? [[kind, keep(chain)!]] : [])),
  );
  return {
    ...(keep(routing.default) ? { default: keep(routing.default) } : {}),
    ...(keep(routing.planner) ? { planner: keep(routing.planner) } : {}),
    ...(keep(routing.aggregator) ? { aggregator: keep(routing.aggregator) } : {}),
    ...(Object.keys(agents).length > 0 ? { agents } : {}),
  };
}

/** Lists the provider's models with its key: ok with a few model ids, or why not (by status, never the provider's text). */
export async function testModelProvider(caller: Caller, id: string) {
  requirePermission(caller, "manage");
  const row = PROVIDER_ID.test(id) ? await findTeamModelProviderWithSecrets(caller.teamId, id) : null;
  if (!row) throw notFound(id);
  const started = performance.now();
  let apiKey: string | undefined;
  try {
    apiKey = row.apiKeyEncrypted ? decryptSecret(row.apiKeyEncrypted, { context: apiKeyContext(row.id) }) : undefined;
  } catch (error) {
    if (error instanceof SecretUnreadableError) return { ok: false as const, error: error.message, durationMs: 0 };
    throw error;
  }
  const result = await checkProviderKey({ kind: row.kind, baseUrl: row.baseUrl, apiKey });
  const durationMs = Math.round(performance.now() - started);
  if (!result.ok) logger.info("Model provider key check failed", { teamId: caller.teamId, provider: row.name, reason: result.error });
  await recordAudit(caller, { action: "model_provider.tested", target: { type: "model_provider", id }, details: { ok: result.ok } });
  return result.ok ? { ok: true as const, models: result.models, durationMs } : { ok: false as const, error: result.error, durationMs };
}

/** The team's routing, and what it may name: its providers and agent kinds. */
export async function readModelRouting(caller: Caller) {
  requirePermission(caller, "read");
  const [routing, providers, agentKinds] = await Promise.all([
    findTeamModelRouting(caller.teamId),
    listTeamModelProviders(caller.teamId),
    teamAgentKinds(caller.teamId),
  ]);
  return {
    routing: readStoredRouting(routing),
    providers: providers.map((row) => ({ id: row.id, name: row.name, kind: KIND_OUT[row.kind] })),
    agentKinds,
  };
}

async function teamAgentKinds(teamId: string): Promise<string[]> {
  const custom = (await listTeamAgentDefinitions(teamId)).map((definition) => definition.kind);
  return [...BUILT_IN_AGENT_KINDS, ...custom.filter((kind) => !BUILT_IN_AGENT_KINDS.includes(kind))];
}

/** Replaces the team's routing; every provider it names must be the team's, every agent kind one the team has. */
export async function updateModelRouting(caller: Caller, rawInput: unknown) {
  requirePermission(caller, "manage");
  const routing = parseInput(modelRoutingSchema, rawInput);
  const [providers, agentKinds] = await Promise.all([listTeamModelProviders(caller.teamId), teamAgentKinds(caller.teamId)]);
  const unknown = unknownRoutingReference(routing, { providerIds: new Set(providers.map((row) => row.id)), agentKinds });
  if (unknown) throw new AppError("bad_request", `${unknown.path}: ${unknown.message}`, unknown.path);
  const chains: Array<[string, ModelRouting["default"]]> = [
    ["default", routing.default],
    ["planner", routing.planner],
    ["aggregator", routing.aggregator],
    ...Object.entries(routing.agents ?? {}).map(([kind, chain]) => [`agents.${kind}`, chain] as [string, ModelRouting["default"]]),
  ];
  await updateTeamModelRouting(caller.teamId, routing as InputJsonObject);
  forgetTeamModelSetup(caller.teamId);
  await recordAudit(caller, {
    action: "settings.model_routing_updated",
    target: { type: "team", id: caller.teamId },
    details: {
      chains: chains.flatMap(([path, chain]) => (chain ? [`${path}: ${chain.map((link) => link.model).join(" > ")}`] : [])),
    },
  });
  return readModelRouting(caller);
}
