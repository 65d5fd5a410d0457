import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { scoreCase, type CaseOutcome } from "@/server/evals/score-case";
import { JUDGE_AGENT_KIND } from "@/server/evals/scorers/judge";
import { JUDGEMENT_SCHEMA_NAME } from "@/server/llm/offline-model";
import { settleUsageRecords } from "@/server/llm/usage-recording";
import { createTeamWithMembers } from "../support/fixtures";
import { startOpenAiWireServer, type ChatRequest } from "../support/openai-wire-server";

/**
 * The scorers that ask a model (issue #24): the judge through the team's model service — with
 * the offline model (its lexical estimate: stable, and higher for the better output), and through
 * the real OpenAI provider against a local Chat Completions server answering the structured
 * judgement (the experiment's judge chain chosen, the answer clamped, a failure scored 0 without
 * leaking the provider's text) — and similarity through a local `/v1/embeddings` server.
 */
const rubric = "- Names the three primary colours.\n- Explains how mixing two of them works.\n- Mentions the colour wheel.";
const better =
  "The three primary colours are red, yellow and blue. Mixing two of them works by blending into a secondary colour; the colour wheel shows it.";
const worse = "Colours are pleasant to look at.";

const completed = (output: string, overrides: Partial<CaseOutcome> = {}): CaseOutcome => ({
  status: "completed",
  output,
  sources: [],
  costUsd: 0,
  tokens: 0,
  durationMs: 100,
  ...overrides,
});

type Judgement = { score: unknown; reasoning: string };
let judgement: Judgement = { score: 0.82, reasoning: "Names the colours and the wheel; the mixing explanation is thin." };
let failWith: { status: number; message: string } | undefined;
const letterVector = (text: string) => {
  const vector = Array.from({ length: 26 }, () => 0);
  for (const char of text.toLowerCase()) {
    const index = char.charCodeAt(0) - 97;
    if (index >= 0 && index < 26) vector[index]! += 1;
  }
  return vector;
};
let server: Awaited<ReturnType<typeof startOpenAiWireServer>>;
beforeAll(async () => {
  server = await startOpenAiWireServer({
    model: "judge-wire-model",
    plan: () => judgement,
    embed: letterVector,
    respond: () => failWith,
  });
});
afterAll(() => server.close());
afterEach(() => {
  failWith = undefined;
  delete process.env.OPENAI_BASE_URL;
  delete process.env.CHORUS_EMBEDDING_MODEL;
});

const requestsTo = (path: string) => server.requests.filter((request) => request.url?.endsWith(path));

describe("the judge with the offline model", () => {
  it("scores the same output the same way twice, a better output higher, and records its calls for the team", async () => {
    const { team } = await createTeamWithMembers();
    const judge = (output: string) =>
      scoreCase({
        teamId: team.id,
        prompt: "Explain primary colours.",
        expected: { rubric },
        outcome: completed(output),
        config: { passScore: 0.7 },
      });
    const first = await judge(better);
    const second = await judge(better);
    const low = await judge(worse);
    expect(first.scores).toHaveLength(1);
    const [result] = first.scores;
    expect(result).toMatchObject({ scorer: "judge", weight: 1, details: { offlineEstimate: true, modelId: "chorus-offline" } });
    expect(result!.explanation).toMatch(/^Offline estimate \(word overlap, not a model's judgement\): 3 of 3 rubric criteria covered/);
    expect(second.scores).toEqual(first.scores);
    expect(first.score).toBe(1);
    expect(low.score).toBeLessThan(first.score);
    expect(low.passed).toBe(false);

    await settleUsageRecords();
    const calls = await getDb().modelCall.findMany({ where: { teamId: team.id } });
    expect(calls).toHaveLength(3);
    expect(calls.every((call) => call.agentKind === JUDGE_AGENT_KIND && call.taskId === null)).toBe(true);
  });
});

describe("the judge through an OpenAI-compatible server", () => {
  it("asks the experiment's judge model for a structured judgement and keeps its reasoning and raw answer", async () => {
    process.env.OPENAI_BASE_URL = server.baseURL;
    const { team } = await createTeamWithMembers();
    const before = requestsTo("/chat/completions").length;
    const result = await scoreCase({
      teamId: team.id,
      prompt: "Explain primary colours.",
      expected: { rubric },
      outcome: completed(better),
      config: { passScore: 0.8, judge: [{ providerId: "env", model: "judge-model-from-config" }] },
    });
    expect(result).toMatchObject({ score: 0.82, passed: true });
    expect(result.scores[0]).toMatchObject({
      scorer: "judge",
      score: 0.82,
      explanation: judgement.reasoning,
      details: { answer: judgement, modelId: "judge-wire-model", tokens: 150 },
    });
    expect(result.scores[0]!.details).not.toHaveProperty("offlineEstimate");
    const request = requestsTo("/chat/completions")[before]!.body as ChatRequest & {
      response_format?: { json_schema?: { name?: string } };
    };
    expect(request.model).toBe("judge-model-from-config");
    expect(request.response_format?.json_schema?.name).toBe(JUDGEMENT_SCHEMA_NAME);
    const sent = request.messages.map((message) => String(message.content)).join("\n");
    expect(sent).toContain("<rubric>\n- Names the three primary colours.");
    expect(sent).toContain(`<output>\n${better}\n</output>`);
  });

  it("clamps a score outside [0, 1] and scores an unusable answer 0 as an error", async () => {
    process.env.OPENAI_BASE_URL = server.baseURL;
    const { team } = await createTeamWithMembers();
    const judgeOnce = () =>
      scoreCase({
        teamId: team.id,
        prompt: "p",
        expected: { rubric },
        outcome: completed(better),
        config: { passScore: 0.5, judge: [{ providerId: "env", model: "judge-clamp" }] },
      });
    judgement = { score: 1.7, reasoning: "Beyond perfect." };
    expect((await judgeOnce()).scores[0]!.score).toBe(1);
    judgement = { score: "high", reasoning: "Not a number." };
    const unusable = await judgeOnce();
    expect(unusable.scores[0]).toMatchObject({ score: 0, details: { error: true } });
    expect(unusable.scores[0]!.explanation).toBe(
      "The judge could not score this case: the judge model's answer was not a usable judgement",
    );
    judgement = { score: 0.82, reasoning: "Names the colours and the wheel; the mixing explanation is thin." };
  });

  it("scores 0 with what went wrong when the model fails, never throwing and never repeating the provider's text", async () => {
    process.env.OPENAI_BASE_URL = server.baseURL;
    const { team } = await createTeamWithMembers();
    failWith = { status: 401, message: "Incorrect API key provided: sk-judge-secret-123" };
    const result = await scoreCase({
      teamId: team.id,
      prompt: "p",
      expected: { rubric, contains: ["primary"] },
      outcome: completed(better),
      config: { passScore: 0.7, judge: [{ providerId: "env", model: "judge-refused" }] },
    });
    const judged = result.scores.find((score) => score.scorer === "judge")!;
    expect(judged).toMatchObject({ score: 0, details: { error: true } });
    expect(judged.explanation).toMatch(/^The judge could not score this case: The model server at 127\.0\.0\.1:\d+ answered HTTP 401/);
    expect(JSON.stringify(result)).not.toContain("sk-judge-secret");
    // The other scorers still count: contains 1, judge 0.
    expect(result.score).toBe(0.5);
  });
});

describe("similarity with an embedding model", () => {
  it("embeds the reference and the output through /v1/embeddings and maps their cosine to [0, 1]", async () => {
    process.env.OPENAI_BASE_URL = server.baseURL;
    process.env.CHORUS_EMBEDDING_MODEL = "embed-test-model";
    const before = requestsTo("/embeddings").length;
    const reference = "abc";
    const result = await scoreCase({
      teamId: "team-x",
      prompt: "p",
      expected: { reference },
      outcome: completed("abd"),
      config: { passScore: 0.5 },
    });
    // Letter vectors (1,1,1,0) and (1,1,0,1): cosine 2/3, mapped to (2/3 + 1) / 2.
    expect(result.scores[0]).toMatchObject({ scorer: "similarity", details: { measure: "embedding", model: "embed-test-model" } });
    expect(result.score).toBeCloseTo(5 / 6);
    expect(result.scores[0]!.explanation).toMatch(/^embedding similarity to the reference: cosine 0\.667 \(embed-test-model\)/);
    const request = requestsTo("/embeddings")[before]!.body as unknown as { model: string; input: string[] };
    expect(request).toMatchObject({ model: "embed-test-model", input: ["abc", "abd"] });
  });

  it("falls back to the lexical measure, and says why, when the embedding call fails", async () => {
    process.env.OPENAI_BASE_URL = server.baseURL;
    process.env.CHORUS_EMBEDDING_MODEL = "embed-test-model";
    failWith = { status: 400, message: "input too long" };
    const result = await scoreCase({
      teamId: "team-x",
      prompt: "p",
      expected: { reference: "The lighthouse was rebuilt." },
      outcome: completed("The lighthouse was rebuilt."),
      config: { passScore: 0.5 },
    });
    expect(result.scores[0]).toMatchObject({ score: 1, details: { measure: "lexical", embeddingError: true } });
    expect(result.scores[0]!.explanation).toMatch(/the embedding model failed: The model server at .* answered HTTP 400/);
  });
});
