import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamResult,
} from "@ai-sdk/provider";

/**
 * A model that wraps another: it answers as that model (its provider, id and the URLs it takes)
 * and adds one concern around its calls — the response cache, usage recording, a budget.
 */
export abstract class DelegatingLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = "v3";
  readonly provider: string;
  readonly modelId: string;
  readonly supportedUrls: LanguageModelV3["supportedUrls"];

  constructor(protected readonly inner: LanguageModelV3) {
    this.provider = inner.provider;
    this.modelId = inner.modelId;
    this.supportedUrls = inner.supportedUrls;
  }

  abstract doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult>;
  abstract doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult>;
}
