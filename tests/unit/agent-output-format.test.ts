import { MockLanguageModelV3 } from "ai/test";
import type { LanguageModelV3, LanguageModelV3CallOptions } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import { createCustomAgent, customAgentDefinitionSchema, OUTPUT_FORMAT_PRESETS } from "@/server/agents/registry";
import { createOfflineModel } from "@/server/llm/offline-model";

/** A team agent's output format and tools: validated by name, and the format reaches the model as part of the system prompt. */
const reviewer = {
  kind: "legal-review",
  name: "Legal reviewer",
  description: "Reviews plans for legal risk.",
  instructions: "List the legal risks.",
  capabilities: ["legal review"],
};

/** The system prompt the agent's model call carried, answered by the offline model. */
async function systemPromptOf(outputFormat?: string): Promise<string> {
  const offline = createOfflineModel({ tokenDelayMs: 0 }) as LanguageModelV3;
  let call: LanguageModelV3CallOptions | undefined;
  const model = new MockLanguageModelV3({
    doStream: async (options) => {
      call = options;
      return offline.doStream(options);
    },
  });
  const agent = createCustomAgent({ ...reviewer, ...(outputFormat === undefined ? {} : { outputFormat }) });
  await agent.execute(
    { stepId: "legal", agentKind: "legal-review", instruction: "Review the terms.", taskPrompt: "Review the terms.", dependsOn: [] },
    { taskId: "t", teamId: "team", upstream: [], onDelta: () => undefined, model },
  );
  const system = call!.prompt.find((message) => message.role === "system");
  return system?.content ?? "";
}

describe("a team agent's output format", () => {
  it("defaults to Markdown, and a preset's wording is in the system prompt", async () => {
    expect(await systemPromptOf()).toContain(OUTPUT_FORMAT_PRESETS.markdown);
    expect(await systemPromptOf("json")).toContain(OUTPUT_FORMAT_PRESETS.json);
    expect(await systemPromptOf("json")).not.toContain(OUTPUT_FORMAT_PRESETS.markdown);
  });

  it("may be the team's own format instructions, passed on as written", async () => {
    expect(await systemPromptOf("A numbered list of risks, one line each.")).toContain(
      "Format your answer as follows: A numbered list of risks, one line each.",
    );
  });
});

describe("a team agent's tools", () => {
  it("are names of built-in tools, each at most once; anything else is refused naming `tools`", () => {
    expect(customAgentDefinitionSchema.parse({ ...reviewer, tools: ["fetch_url", "web_search"] }).tools).toEqual([
      "fetch_url",
      "web_search",
    ]);
    expect(customAgentDefinitionSchema.parse(reviewer).tools).toEqual([]);
    for (const tools of [["shell"], ["fetch_url", "fetch_url"], "fetch_url", [42]]) {
      const parsed = customAgentDefinitionSchema.safeParse({ ...reviewer, tools });
      expect(parsed.success, JSON.stringify(tools)).toBe(false);
      expect(parsed.error!.issues[0]!.path[0]).toBe("tools");
    }
  });
});
