import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI, type OpenAIProvider } from "@ai-sdk/openai";
import type { EmbeddingModelV3, LanguageModelV3 } from "@ai-sdk/provider";
import { wrapLanguageModel, type LanguageModel } from "ai";
import { createOfflineModel, OFFLINE_MODEL_ID } from "@/server/llm/offline-model";
import { registerSecret } from "@/server/observability/logger";

/**
 * The one place that decides which model Chorus talks to. Precedence:
 * OPENAI_BASE_URL (any OpenAI-compatible server: Ollama, vLLM, LiteLLM…) → OPENAI_API_KEY →
 * ANTHROPIC_API_KEY (at ANTHROPIC_BASE_URL when set) → the offline model. CHORUS_MODEL overrides
 * the provider's default model; OPENAI_API=responses calls OpenAI (or the compatible server) through
 * the Responses API instead of Chat Completions.
 * API keys are read only when a client is built and never appear in a ModelConfig.
 */

export type ModelRole = "planner" | "agent" | "aggregator";
export type ModelProviderName = "offline" | "openai" | "openai-compatible" | "anthropic";
/** The wire API an OpenAI or OpenAI-compatible provider is called through. */
export type OpenAiApi = "chat_completions" | "responses";

export interface ModelConfig {
  provider: ModelProviderName;
  modelId: string;
  baseURL?: string;
  /** OpenAI and OpenAI-compatible only; absent: Chat Completions. */
  api?: OpenAiApi;
  /** Offline model only: pause per streamed chunk. */
  offlineTokenDelayMs?: number;
}

/** The variables this module reads. `process.env` and server/env.ts's `Env` both fit. */
export interface ModelEnv {
  OPENAI_BASE_URL?: string;
  OPENAI_API_KEY?: string;
  OPENAI_API?: string;
  ANTHROPIC_API_KEY?: string;
  ANTHROPIC_BASE_URL?: string;
  CHORUS_MODEL?: string;
  CHORUS_OFFLINE_TOKEN_DELAY_MS?: string | number;
  CHORUS_EMBEDDING_MODEL?: string;
  /** Other variables are allowed and ignored (this is usually the whole environment). */
  [name: string]: unknown;
}

export const DEFAULT_OPENAI_MODEL = "gpt-4o-mini";
export const DEFAULT_ANTHROPIC_MODEL = "claude-haiku-4-5";
export const DEFAULT_ANTHROPIC_BASE_URL = "https://api.anthropic.com/v1";
export const DEFAULT_OFFLINE_TOKEN_DELAY_MS = 15;

export function resolveModelConfig(env: ModelEnv = process.env, options: { modelId?: string } = {}): ModelConfig {
  const baseURL = present(env.OPENAI_BASE_URL);
  const hasOpenAIKey = present(env.OPENAI_API_KEY) !== undefined;
  const hasAnthropicKey = present(env.ANTHROPIC_API_KEY) !== undefined;
  const requestedModel = present(options.modelId) ?? present(env.CHORUS_MODEL);

  const api: { api?: OpenAiApi } = present(env.OPENAI_API) === "responses" ? { api: "responses" } : {};
  if (baseURL) return { provider: "openai-compatible", modelId: requestedModel ?? DEFAULT_OPENAI_MODEL, baseURL, ...api };
  // With both keys configured, a model id that names the other vendor's model goes there,
  // so a custom agent set to "claude-…" works on an OpenAI-first install.
  const wantsAnthropic = requestedModel !== undefined && /^claude/i.test(requestedModel);
  const wantsOpenAI = requestedModel !== undefined && /^(gpt-|o\d|chatgpt)/i.test(requestedModel);
  if (hasOpenAIKey && !(wantsAnthropic && hasAnthropicKey)) {
    return {
      provider: "openai",
      modelId: wantsAnthropic ? (present(env.CHORUS_MODEL) ?? DEFAULT_OPENAI_MODEL) : (requestedModel ?? DEFAULT_OPENAI_MODEL),
      ...api,
    };
  }
  if (hasAnthropicKey) {
    const anthropicBaseURL = present(env.ANTHROPIC_BASE_URL);
    return {
      provider: "anthropic",
      modelId: wantsOpenAI ? (present(env.CHORUS_MODEL) ?? DEFAULT_ANTHROPIC_MODEL) : (requestedModel ?? DEFAULT_ANTHROPIC_MODEL),
      ...(anthropicBaseURL ? { baseURL: anthropicBaseURL } : {}),
    };
  }
  return { provider: "offline", modelId: OFFLINE_MODEL_ID, offlineTokenDelayMs: parseDelay(env.CHORUS_OFFLINE_TOKEN_DELAY_MS) };
}

/** Builds the AI SDK model for a config; the API key comes from `env` at this moment only. */
export function createLanguageModel(config: ModelConfig, env: ModelEnv = process.env): LanguageModel {
  // Whatever a provider echoes of its key is redacted from the log.
  registerSecret(present(env.OPENAI_API_KEY));
  registerSecret(present(env.ANTHROPIC_API_KEY));
  switch (config.provider) {
    case "offline":
      return createOfflineModel({ tokenDelayMs: config.offlineTokenDelayMs ?? DEFAULT_OFFLINE_TOKEN_DELAY_MS });
    case "openai-compatible":
      return openAiModel(
        createOpenAI({ baseURL: config.baseURL, apiKey: present(env.OPENAI_API_KEY) ?? "not-needed", name: "openai-compatible" }),
        config.api,
        config.modelId,
      );
    case "openai":
      return openAiModel(createOpenAI({ apiKey: present(env.OPENAI_API_KEY) }), config.api, config.modelId);
    case "anthropic":
      // The base URL is passed even when unset: the client would otherwise read ANTHROPIC_BASE_URL from process.env, not `env`.
      return createAnthropic({ apiKey: present(env.ANTHROPIC_API_KEY), baseURL: config.baseURL ?? DEFAULT_ANTHROPIC_BASE_URL })(
        config.modelId,
      );
  }
}

/**
 * An OpenAI provider's model through the chosen wire API. Chat Completions by default: it is what
 * every compatible server speaks, so both paths behave the same. The Responses API is what OpenAI
 * recommends for its newer and reasoning models (vLLM and recent Ollama serve it too). Its calls
 * are sent with `store: false`: the provider keeps no copy of a team's prompts, and a follow-up
 * after a tool call carries the earlier items in full instead of references to stored ones, which
 * servers that store nothing (vLLM, Ollama) could not resolve.
 */
export function openAiModel(openai: OpenAIProvider, api: OpenAiApi | undefined, modelId: string): LanguageModelV3 {
  if (api !== "responses") return openai.chat(modelId);
  return wrapLanguageModel({
    model: openai.responses(modelId),
    middleware: {
      specificationVersion: "v3",
      transformParams: async ({ params }) => ({
        ...params,
        providerOptions: { ...params.providerOptions, openai: { store: false, ...params.providerOptions?.openai } },
      }),
    },
  });
}

/**
 * The model for a role. Every role uses the configured provider today; the role is part of
 * the signature so planner and aggregator can get their own model later without touching callers.
 */
export function getLanguageModel(_role: ModelRole, options: { modelId?: string; env?: ModelEnv } = {}): LanguageModel {
  const env = options.env ?? process.env;
  return createLanguageModel(resolveModelConfig(env, { modelId: options.modelId }), env);
}

/**
 * The embedding model the evals similarity scorer uses (CHORUS_EMBEDDING_MODEL, e.g.
 * text-embedding-3-small), through the instance's OpenAI or OpenAI-compatible provider
 * (OPENAI_BASE_URL / OPENAI_API_KEY); undefined when none is configured, so callers fall back
 * to a measure that needs no model.
 */
export function getEmbeddingModel(env: ModelEnv = process.env): EmbeddingModelV3 | undefined {
  const modelId = present(env.CHORUS_EMBEDDING_MODEL);
  const baseURL = present(env.OPENAI_BASE_URL);
  const apiKey = present(env.OPENAI_API_KEY);
  if (!modelId || (!baseURL && !apiKey)) return undefined;
  registerSecret(apiKey);
  const openai = createOpenAI({ apiKey: apiKey ?? "not-needed", ...(baseURL ? { baseURL, name: "openai-compatible" } : {}) });
  return openai.embedding(modelId);
}

/** The model id a LanguageModel reports (string ids are gateway ids). */
export function modelIdOf(model: LanguageModel): string {
  return typeof model === "string" ? model : model.modelId;
}

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function parseDelay(value: string | number | undefined): number {
  const parsed = typeof value === "number" ? value : Number(present(value) ?? Number.NaN);
  return Number.isFinite(parsed) && parsed >= 0 ? Math.floor(parsed) : DEFAULT_OFFLINE_TOKEN_DELAY_MS;
}
