/** The model layer's public door. */
export { createOfflineModel, OFFLINE_MODEL_ID, OFFLINE_PROVIDER_ID, type OfflineModelOptions } from "@/server/llm/offline-model";
export {
  createLanguageModel,
  getLanguageModel,
  modelIdOf,
  resolveModelConfig,
  type ModelConfig,
  type ModelEnv,
  type ModelProviderName,
  type ModelRole,
} from "@/server/llm/providers";
export { estimateCostUsd, priceForModel, type ModelPrice } from "@/server/llm/pricing";
export { addUsage, NO_USAGE, toTokenUsage, type TokenUsage } from "@/server/llm/usage";
export { createAbortError, isAbortError } from "@/server/llm/abort";
export { classifyModelError, describeModelError, ModelCallFailed, reportModelError, type ModelFailure } from "@/server/llm/model-errors";
