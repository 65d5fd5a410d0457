import { describe, expect, it } from "vitest";
import {
  createLanguageModel,
  DEFAULT_ANTHROPIC_MODEL,
  DEFAULT_OPENAI_MODEL,
  getLanguageModel,
  resolveModelConfig,
} from "@/server/llm/providers";

const OPENAI_KEY = "sk-test-openai-0123456789";
const ANTHROPIC_KEY = "sk-ant-test-0123456789";

describe("resolveModelConfig", () => {
  it("uses the offline model when nothing is configured", () => {
    expect(resolveModelConfig({})).toEqual({ provider: "offline", modelId: "chorus-offline", offlineTokenDelayMs: 15 });
  });

  it("reads the offline token delay, as a string from process.env or a number from typed config", () => {
    expect(resolveModelConfig({ CHORUS_OFFLINE_TOKEN_DELAY_MS: "0" }).offlineTokenDelayMs).toBe(0);
    expect(resolveModelConfig({ CHORUS_OFFLINE_TOKEN_DELAY_MS: 40 }).offlineTokenDelayMs).toBe(40);
    expect(resolveModelConfig({ CHORUS_OFFLINE_TOKEN_DELAY_MS: "soon" }).offlineTokenDelayMs).toBe(15);
  });

  it("prefers an OpenAI-compatible server when OPENAI_BASE_URL is set, with or without a key", () => {
    expect(
      resolveModelConfig({ OPENAI_BASE_URL: "http://localhost:11434/v1", CHORUS_MODEL: "llama3.1", ANTHROPIC_API_KEY: ANTHROPIC_KEY }),
    ).toEqual({
      provider: "openai-compatible",
      modelId: "llama3.1",
      baseURL: "http://localhost:11434/v1",
    });
  });

  it("uses OpenAI with gpt-4o-mini by default when OPENAI_API_KEY is set, even if Anthropic is too", () => {
    expect(resolveModelConfig({ OPENAI_API_KEY: OPENAI_KEY, ANTHROPIC_API_KEY: ANTHROPIC_KEY })).toEqual({
      provider: "openai",
      modelId: DEFAULT_OPENAI_MODEL,
    });
    expect(resolveModelConfig({ OPENAI_API_KEY: OPENAI_KEY, CHORUS_MODEL: "gpt-4.1" }).modelId).toBe("gpt-4.1");
  });

  it("calls OpenAI or the compatible server through the Responses API when OPENAI_API=responses, Chat Completions otherwise", () => {
    expect(resolveModelConfig({ OPENAI_API_KEY: OPENAI_KEY, OPENAI_API: "responses" })).toEqual({
      provider: "openai",
      modelId: DEFAULT_OPENAI_MODEL,
      api: "responses",
    });
    expect(resolveModelConfig({ OPENAI_BASE_URL: "http://localhost:8000/v1", OPENAI_API: "responses" }).api).toBe("responses");
    expect(resolveModelConfig({ OPENAI_API_KEY: OPENAI_KEY, OPENAI_API: "chat_completions" }).api).toBeUndefined();
    expect(resolveModelConfig({ ANTHROPIC_API_KEY: ANTHROPIC_KEY, OPENAI_API: "responses" }).api).toBeUndefined();
    const responses = createLanguageModel(resolveModelConfig({ OPENAI_API_KEY: OPENAI_KEY, OPENAI_API: "responses" }), {
      OPENAI_API_KEY: OPENAI_KEY,
    });
    expect(typeof responses === "string" ? responses : responses.provider).toBe("openai.responses");
  });

  it("uses Anthropic with claude-haiku-4-5 by default when only ANTHROPIC_API_KEY is set", () => {
    expect(resolveModelConfig({ ANTHROPIC_API_KEY: ANTHROPIC_KEY })).toEqual({ provider: "anthropic", modelId: DEFAULT_ANTHROPIC_MODEL });
    expect(resolveModelConfig({ ANTHROPIC_API_KEY: ANTHROPIC_KEY, CHORUS_MODEL: "claude-sonnet-4-5" }).modelId).toBe("claude-sonnet-4-5");
  });

  it("sends Anthropic calls to ANTHROPIC_BASE_URL when set, read from the configuration given, not the process", () => {
    const env = { ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: "https://gateway.example.com/v1" };
    expect(resolveModelConfig(env)).toEqual({ provider: "anthropic", modelId: DEFAULT_ANTHROPIC_MODEL, baseURL: env.ANTHROPIC_BASE_URL });
    expect(resolveModelConfig({ ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: " " })).not.toHaveProperty("baseURL");
  });

  it("treats blank variables as unset", () => {
    expect(resolveModelConfig({ OPENAI_BASE_URL: "  ", OPENAI_API_KEY: "", ANTHROPIC_API_KEY: " " }).provider).toBe("offline");
  });

  it("routes a per-agent model id to the vendor that serves it when both keys exist", () => {
    const both = { OPENAI_API_KEY: OPENAI_KEY, ANTHROPIC_API_KEY: ANTHROPIC_KEY };
    expect(resolveModelConfig(both, { modelId: "claude-3-5-sonnet-latest" })).toEqual({
      provider: "anthropic",
      modelId: "claude-3-5-sonnet-latest",
    });
    expect(resolveModelConfig(both, { modelId: "gpt-4o" })).toEqual({ provider: "openai", modelId: "gpt-4o" });
    // Without the other vendor's key, the provider's own model is used instead of a model it cannot serve.
    expect(resolveModelConfig({ OPENAI_API_KEY: OPENAI_KEY }, { modelId: "claude-3-5-sonnet-latest" })).toEqual({
      provider: "openai",
      modelId: DEFAULT_OPENAI_MODEL,
    });
    expect(resolveModelConfig({}, { modelId: "gpt-4o" }).provider).toBe("offline");
  });

  it("never puts an API key in the config it returns", () => {
    for (const env of [
      { OPENAI_API_KEY: OPENAI_KEY },
      { ANTHROPIC_API_KEY: ANTHROPIC_KEY },
      { OPENAI_BASE_URL: "http://localhost:8000/v1", OPENAI_API_KEY: OPENAI_KEY },
    ]) {
      const serialized = JSON.stringify(resolveModelConfig(env));
      expect(serialized).not.toContain(OPENAI_KEY);
      expect(serialized).not.toContain(ANTHROPIC_KEY);
      expect(serialized).not.toMatch(/key/i);
    }
  });
});

describe("createLanguageModel", () => {
  it("builds the client for each provider", () => {
    const compatible = createLanguageModel(
      { provider: "openai-compatible", modelId: "llama3.1", baseURL: "http://localhost:11434/v1" },
      {},
    );
    const openai = createLanguageModel({ provider: "openai", modelId: "gpt-4o-mini" }, { OPENAI_API_KEY: OPENAI_KEY });
    const anthropic = createLanguageModel(
      { provider: "anthropic", modelId: DEFAULT_ANTHROPIC_MODEL },
      { ANTHROPIC_API_KEY: ANTHROPIC_KEY },
    );
    const offline = createLanguageModel({ provider: "offline", modelId: "chorus-offline", offlineTokenDelayMs: 0 });
    expect(typeof compatible !== "string" && [compatible.provider, compatible.modelId]).toEqual(["openai-compatible.chat", "llama3.1"]);
    expect(typeof openai !== "string" && [openai.provider, openai.modelId]).toEqual(["openai.chat", "gpt-4o-mini"]);
    expect(typeof anthropic !== "string" && [anthropic.provider, anthropic.modelId]).toEqual([
      "anthropic.messages",
      DEFAULT_ANTHROPIC_MODEL,
    ]);
    expect(typeof offline !== "string" && [offline.provider, offline.modelId]).toEqual(["chorus", "chorus-offline"]);
  });

  it("getLanguageModel resolves from the given environment for every role", () => {
    for (const role of ["planner", "agent", "aggregator"] as const) {
      const model = getLanguageModel(role, { env: { OPENAI_API_KEY: OPENAI_KEY, CHORUS_MODEL: "gpt-4.1-mini" } });
      expect(typeof model !== "string" && model.modelId).toBe("gpt-4.1-mini");
    }
    const custom = getLanguageModel("agent", { modelId: "gpt-4o", env: { OPENAI_API_KEY: OPENAI_KEY } });
    expect(typeof custom !== "string" && custom.modelId).toBe("gpt-4o");
  });
});
