import { generateText, Output, streamText } from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { buildAgentPrompt } from "@/server/agents/agent-prompt";
import { analysisAgentDefinition, researchAgentDefinition, synthesisAgentDefinition } from "@/server/agents/built-in-agents";
import { buildDefaultPlan } from "@/server/agents/default-plan";
import { planSchema, validatePlan } from "@/server/agents/plan";
import type { Subtask } from "@/server/agents/types";
import {
  createOfflineModel,
  JUDGEMENT_SCHEMA_NAME,
  OFFLINE_MODEL_ID,
  offeredJudgementOptions,
  offeredPlanOptions,
  PLAN_SCHEMA_NAME,
  splitIntoChunks,
} from "@/server/llm/offline-model";
import { estimateTokens } from "@/server/llm/usage";
import { OFFLINE_NOTICE, OFFLINE_NOTICE_FROM_STEPS, OFFLINE_NOTICE_WITH_TOOLS, writeOfflineText } from "@/server/llm/offline-writer";

const instantModel = () => createOfflineModel({ tokenDelayMs: 0 });

function step(taskPrompt: string, instruction = "", stepId = "research"): Subtask {
  return { stepId, agentKind: "research", instruction, taskPrompt, dependsOn: [] };
}

async function streamAll(options: { system: string; prompt: string; model?: ReturnType<typeof createOfflineModel> }) {
  const result = streamText({ model: options.model ?? instantModel(), system: options.system, prompt: options.prompt });
  const deltas: string[] = [];
  for await (const delta of result.textStream) deltas.push(delta);
  return { deltas, text: await result.text, usage: await result.usage, response: await result.response };
}

describe("offline model", () => {
  const ebikes = buildAgentPrompt(step("Write a market research brief on electric bikes in Europe"), []);
  const kafka = buildAgentPrompt(step("Explain the trade-offs of running Kafka on Kubernetes for payment events"), []);

  it("identifies itself as chorus / chorus-offline", () => {
    const model = instantModel();
    expect(model.provider).toBe("chorus");
    expect(model.modelId).toBe(OFFLINE_MODEL_ID);
    expect(model.specificationVersion).toBe("v3");
  });

  it("gives the same output for the same prompt, every time", async () => {
    const first = await streamAll({ system: researchAgentDefinition.instructions, prompt: ebikes });
    const second = await streamAll({ system: researchAgentDefinition.instructions, prompt: ebikes });
    expect(second.text).toBe(first.text);
    expect(second.deltas).toEqual(first.deltas);
  });

  it("writes about the task it was given, so different tasks read differently", async () => {
    const bikes = await streamAll({ system: researchAgentDefinition.instructions, prompt: ebikes });
    const queues = await streamAll({ system: researchAgentDefinition.instructions, prompt: kafka });
    expect(bikes.text).not.toBe(queues.text);
    expect(bikes.text).toMatch(/^# Research notes: electric bikes in Europe/);
    expect(bikes.text).toContain("Europe");
    expect(queues.text).toMatch(/Kafka/);
    expect(queues.text).not.toMatch(/bikes/);
  });

  it("writes markdown shaped by the agent's role", async () => {
    const research = await streamAll({ system: researchAgentDefinition.instructions, prompt: ebikes });
    const analysis = await streamAll({ system: analysisAgentDefinition.instructions, prompt: ebikes });
    const synthesis = await streamAll({ system: synthesisAgentDefinition.instructions, prompt: ebikes });
    expect(research.text).toMatch(/^## Key facts$/m);
    expect(analysis.text).toMatch(/^## Structured findings$/m);
    expect(analysis.text).toMatch(/\| Finding \| Evidence \| Confidence \|/);
    expect(synthesis.text).toMatch(/^# Electric bikes in Europe: Brief$/m);
    expect(synthesis.text).toMatch(/^## Executive summary$/m);
    expect(synthesis.text).toMatch(/^## Recommendations$/m);
  });

  it("builds on upstream outputs present in the prompt", async () => {
    const research = await streamAll({ system: researchAgentDefinition.instructions, prompt: ebikes });
    const prompt = buildAgentPrompt({ ...step("Write a market research brief on electric bikes in Europe"), stepId: "analysis" }, [
      { stepId: "research-eu", agentKind: "research", text: research.text },
    ]);
    const analysis = await streamAll({ system: analysisAgentDefinition.instructions, prompt });
    expect(analysis.text).toContain("(research-eu)");
    const withoutUpstream = await streamAll({ system: analysisAgentDefinition.instructions, prompt: ebikes });
    expect(withoutUpstream.text).toContain("No upstream research was provided");
  });

  it("streams the answer in many small deltas that join to the full text", async () => {
    const { deltas, text } = await streamAll({ system: researchAgentDefinition.instructions, prompt: ebikes });
    expect(deltas.length).toBeGreaterThan(20);
    expect(deltas.join("")).toBe(text);
    for (const delta of deltas) expect(delta.trim().split(/\s+/).length).toBeLessThanOrEqual(3);
  });

  it("reports usage of about a token per four characters", async () => {
    const { text, usage } = await streamAll({ system: "You are the Research agent in Chorus.", prompt: ebikes });
    const promptCharacters = "You are the Research agent in Chorus.".length + ebikes.length;
    expect(usage.inputTokens).toBe(estimateTokens(promptCharacters));
    expect(usage.outputTokens).toBe(Math.ceil(text.length / 4));
    expect(Number.isInteger(usage.inputTokens) && Number.isInteger(usage.outputTokens)).toBe(true);
  });

  it("answers generateText (doGenerate) with the same text as the stream", async () => {
    const streamed = await streamAll({ system: synthesisAgentDefinition.instructions, prompt: kafka });
    const generated = await generateText({ model: instantModel(), system: synthesisAgentDefinition.instructions, prompt: kafka });
    expect(generated.text).toBe(streamed.text);
    expect(generated.usage.outputTokens).toBe(streamed.usage.outputTokens);
  });

  it("paces chunks by tokenDelayMs so people see tokens arrive", async () => {
    const started = performance.now();
    const { deltas } = await streamAll({
      system: researchAgentDefinition.instructions,
      prompt: ebikes,
      model: createOfflineModel({ tokenDelayMs: 4 }),
    });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(deltas.length * 4 * 0.8);
  });

  it("stops promptly on abort and rejects with an AbortError", async () => {
    const controller = new AbortController();
    const model = createOfflineModel({ tokenDelayMs: 25 });
    const { stream } = await model.doStream({
      prompt: [{ role: "user", content: [{ type: "text", text: ebikes }] }],
      abortSignal: controller.signal,
    });
    const reader = stream.getReader();
    const deltas: string[] = [];
    const started = performance.now();
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        if (value.type === "text-delta") {
          deltas.push(value.delta);
          if (deltas.length === 2) controller.abort();
        }
      }
    })();
    await expect(reading).rejects.toMatchObject({ name: "AbortError" });
    expect(deltas.length).toBe(2);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("refuses to start when the signal is already aborted", async () => {
    const model = instantModel();
    await expect(
      model.doStream({ prompt: [{ role: "user", content: [{ type: "text", text: "hi" }] }], abortSignal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ name: "AbortError" });
  });

  it(`answers a ${PLAN_SCHEMA_NAME} JSON request with the plan the caller offers, and with no steps when none is`, async () => {
    const offered = buildDefaultPlan("Compare PostgreSQL and MySQL for analytics workloads");
    const answer = await generateText({
      model: instantModel(),
      prompt: "<task>\nCompare PostgreSQL and MySQL for analytics workloads\n</task>",
      output: Output.object({ schema: planSchema, name: PLAN_SCHEMA_NAME }),
      providerOptions: offeredPlanOptions(offered),
    });
    expect(answer.output).toEqual(offered);
    expect(validatePlan(answer.output, { knownAgents: ["research", "analysis", "synthesis"] }).ok).toBe(true);

    const unoffered = await instantModel().doGenerate({
      prompt: [{ role: "user", content: [{ type: "text", text: "<task>\nAnything\n</task>" }] }],
      responseFormat: { type: "json", name: PLAN_SCHEMA_NAME },
    });
    expect(unoffered.content).toEqual([{ type: "text", text: JSON.stringify({ steps: [] }, null, 2) }]);
  });

  it(`answers a ${JUDGEMENT_SCHEMA_NAME} JSON request with the judgement offered, a plan request still with the plan, and neither with the other`, async () => {
    const judgementSchema = z.object({ score: z.number(), reasoning: z.string() });
    const offered = { score: 0.5, reasoning: "1 of 2 criteria covered" };
    const plan = buildDefaultPlan("Summarise lighthouse history");
    const options = { ...offeredJudgementOptions(offered), chorus: { judgement: offered, plan } };
    const judged = await generateText({
      model: instantModel(),
      prompt: "<output>\nLighthouses\n</output>",
      output: Output.object({ schema: judgementSchema, name: JUDGEMENT_SCHEMA_NAME }),
      providerOptions: options,
    });
    expect(judged.output).toEqual(offered);
    const planned = await generateText({
      model: instantModel(),
      prompt: "<task>\nSummarise lighthouse history\n</task>",
      output: Output.object({ schema: planSchema, name: PLAN_SCHEMA_NAME }),
      providerOptions: options,
    });
    expect(planned.output).toEqual(plan);

    const unoffered = await instantModel().doGenerate({
      prompt: [{ role: "user", content: [{ type: "text", text: "<output>\nAnything\n</output>" }] }],
      responseFormat: { type: "json", name: JUDGEMENT_SCHEMA_NAME },
      providerOptions: offeredPlanOptions(plan),
    });
    const text = unoffered.content[0]?.type === "text" ? unoffered.content[0].text : "";
    expect(JSON.parse(text)).toMatchObject({ score: 0 });
  });
});

describe("splitIntoChunks", () => {
  it("keeps every character, including leading and inner whitespace", () => {
    const text = "  # Title\n\n- one two three four\n- five";
    const chunks = splitIntoChunks(text, 2);
    expect(chunks.join("")).toBe(text);
    expect(chunks).toEqual(["  # Title\n\n", "- one ", "two three ", "four\n- ", "five"]);
  });
});

describe("the offline model's notice", () => {
  const base = { agentName: "Synthesis", task: "Compare harbour lighthouses.", instruction: "Write the brief." };
  it("says a synthesis builds on the team's documents when an earlier step quoted them, and on the task alone otherwise", () => {
    const fromResearch = `## Findings\n\n- Lamps changed in 1900.\n\n${OFFLINE_NOTICE_WITH_TOOLS}`;
    const quoted = writeOfflineText({
      ...base,
      role: "synthesis",
      upstream: [{ stepId: "research", agentKind: "research", text: fromResearch }],
    });
    expect(quoted.endsWith(OFFLINE_NOTICE_FROM_STEPS)).toBe(true);
    const plain = writeOfflineText({
      ...base,
      role: "synthesis",
      upstream: [{ stepId: "research", agentKind: "research", text: "- Lamps." }],
    });
    expect(plain.endsWith(OFFLINE_NOTICE)).toBe(true);
    // And the aggregation after it, which sees only the synthesis's text, still says so.
    const combined = writeOfflineText({
      ...base,
      role: "aggregator",
      upstream: [{ stepId: "synthesis", agentKind: "synthesis", text: quoted }],
    });
    expect(combined.endsWith(OFFLINE_NOTICE_FROM_STEPS)).toBe(true);
  });
});
