import { describe, expect, it } from "vitest";
import type { EvalExpectations } from "@/server/evals/eval-schemas";
import { combinedScore, scoreCase, type CaseOutcome } from "@/server/evals/score-case";
import { scoreCitations } from "@/server/evals/scorers/citations";
import { scoreContains } from "@/server/evals/scorers/contains";
import { scoreCost } from "@/server/evals/scorers/cost";
import { findJson, scoreJsonSchema } from "@/server/evals/scorers/json-schema";
import { estimateRubricCoverage } from "@/server/evals/scorers/judge";
import { scoreLatency } from "@/server/evals/scorers/latency";
import { MAX_REGEX_INPUT, scoreRegex } from "@/server/evals/scorers/regex";
import type { Scorer } from "@/server/evals/scorers/scorer";
import { lexicalSimilarity, scoreSimilarity } from "@/server/evals/scorers/similarity";
import { scoreTokens } from "@/server/evals/scorers/tokens";
import { getEmbeddingModel } from "@/server/llm/providers";

/**
 * The deterministic scorers on fixed inputs (issue #24): what each finds, how it explains it,
 * its edge cases (empty, unicode, huge output, a bad JSON Schema), and how scoreCase weighs them
 * and decides a pass. The judge and embeddings, which need a team and a model server, are in
 * tests/integration/eval-judge.test.ts.
 */
const outcome = (overrides: Partial<CaseOutcome> = {}): CaseOutcome => ({
  status: "completed",
  output: "",
  sources: [],
  costUsd: 0.01,
  tokens: 1000,
  durationMs: 2000,
  ...overrides,
});

const run = (scorer: Scorer, expected: EvalExpectations, caseOutcome: Partial<CaseOutcome> = {}) =>
  scorer({ teamId: "team-unit", prompt: "a prompt", expected, outcome: outcome(caseOutcome) });

describe("contains", () => {
  it("finds facts case-insensitively across whitespace and names the missing ones", async () => {
    const result = await run(
      scoreContains,
      { contains: ["Paris", "the  Eiffel\ttower", "1889", "Gustave Eiffel"] },
      { output: "PARIS is home to the Eiffel\nTower, finished in 1889." },
    );
    expect(result).toMatchObject({ scorer: "contains", score: 0.75, details: { found: 3, total: 4, missing: ["Gustave Eiffel"] } });
    expect(result!.explanation).toBe('3 of 4 facts found; missing: "Gustave Eiffel"');
  });

  it("compares Unicode text in one normal form", async () => {
    // "é" written as e + combining accent in the fact, precomposed in the output; "Ǆ" case-folds.
    const result = await run(scoreContains, { contains: ["Cafe\u0301 Zürich", "ǅemal"] }, { output: "café zürich and ǆemal" });
    expect(result!.score).toBe(1);
  });

  it("scores an empty output 0 and is not run without facts", async () => {
    expect((await run(scoreContains, { contains: ["anything"] }, { output: "" }))!.score).toBe(0);
    expect(await run(scoreContains, {}, { output: "text" })).toBeNull();
  });
});

describe("regex", () => {
  it("matches with the i flag and reports the unmatched patterns", async () => {
    const result = await run(
      scoreRegex,
      { matches: ["^# summary", "\\d{4}-\\d{2}-\\d{2}", "never here"] },
      { output: "# Summary\nDue 2026-12-07." },
    );
    expect(result).toMatchObject({ score: 2 / 3, details: { matched: 2, total: 3, unmatched: ["never here"] } });
    expect(result!.explanation).toMatch(/^2 of 3 patterns matched; unmatched: "never here"$/);
  });

  it("searches only the output's first characters, and says so", async () => {
    const huge = `${"a".repeat(MAX_REGEX_INPUT)}NEEDLE`;
    const result = await run(scoreRegex, { matches: ["needle", "^a+"] }, { output: huge });
    expect(result!.score).toBe(0.5);
    expect(result!.details).toMatchObject({ truncated: true, unmatched: ["needle"] });
    expect(result!.explanation).toContain("only the first 200,000 characters were searched");
  });
});

describe("json_schema", () => {
  const schema = {
    type: "object",
    required: ["name", "email"],
    properties: { name: { type: "string" }, email: { type: "string", format: "email" } },
  };

  it("validates the whole output, a ```json block, or the first JSON in prose", async () => {
    const whole = await run(scoreJsonSchema, { jsonSchema: schema }, { output: '{"name":"Ada","email":"ada@example.com"}' });
    expect(whole).toMatchObject({ score: 1, details: { from: "the whole output" } });
    const fenced = await run(
      scoreJsonSchema,
      { jsonSchema: schema },
      { output: 'Here:\n```json\n{"name":"Ada","email":"ada@example.com"}\n```\nDone.' },
    );
    expect(fenced).toMatchObject({ score: 1, details: { from: "a ```json block" } });
    const prose = await run(
      scoreJsonSchema,
      { jsonSchema: schema },
      { output: 'The record {not json} is {"name":"Ada {x}","email":"ada@example.com"} as asked.' },
    );
    expect(prose).toMatchObject({ score: 1, details: { from: "embedded in the text" } });
  });

  it("scores invalid JSON 0 with Ajv's reasons, formats included", async () => {
    const result = await run(scoreJsonSchema, { jsonSchema: schema }, { output: '{"name": 3, "email": "not an email"}' });
    expect(result!.score).toBe(0);
    expect(result!.details!.errors).toEqual(expect.arrayContaining(["/name must be string", '/email must match format "email"']));
    expect((await run(scoreJsonSchema, { jsonSchema: schema }, { output: "no json at all" }))!.explanation).toBe(
      "the output holds no JSON",
    );
  });

  it("scores a schema Ajv cannot compile 0 with its message, without throwing, and reads draft 2020-12", async () => {
    const bad = await run(scoreJsonSchema, { jsonSchema: { type: "object", properties: { a: { type: "nonsense" } } } }, { output: "{}" });
    expect(bad!.score).toBe(0);
    expect(bad!.explanation).toMatch(/^the case's JSON Schema is invalid: .*type/);
    const remote = await run(scoreJsonSchema, { jsonSchema: { $ref: "https://example.com/schema.json" } }, { output: "{}" });
    expect(remote).toMatchObject({ score: 0, details: { schemaError: expect.stringMatching(/resolve/i) } });
    const draft2020 = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "array",
      prefixItems: [{ type: "number" }],
      items: false,
    };
    expect((await run(scoreJsonSchema, { jsonSchema: draft2020 }, { output: "[1]" }))!.score).toBe(1);
    expect((await run(scoreJsonSchema, { jsonSchema: draft2020 }, { output: "[1, 2]" }))!.score).toBe(0);
  });

  it("finds JSON in text whose strings hold brackets, and gives up on a huge output without JSON in bounded work", () => {
    expect(findJson('note: {"a": "}]{", "b": [1, {"c": 2}]} end')?.value).toEqual({ a: "}]{", b: [1, { c: 2 }] });
    expect(findJson("{ unclosed")).toBeUndefined();
    expect(findJson(`${"{ [ ".repeat(2_000_000)}`)).toBeUndefined();
    expect(findJson(`${"word ".repeat(100_000)} {"late": true}`)?.value).toEqual({ late: true });
  });
});

describe("citations", () => {
  it("matches sources by normalised URL, document id or title, or a link in the output", async () => {
    const result = await run(
      scoreCitations,
      {
        citations: [
          "HTTPS://Example.COM/guide/",
          "doc_123",
          "pricing handbook",
          "https://linked.example/page",
          "Field Notes",
          "https://missing.example",
        ],
      },
      {
        sources: [
          { title: "Guide", url: "https://example.com/guide#part-2" },
          { title: "Internal", documentId: "doc_123" },
          { title: "Pricing Handbook" },
        ],
        output: "See https://linked.example/page. Also [field notes](https://notes.example/x).",
      },
    );
    expect(result!.score).toBeCloseTo(5 / 6);
    expect(result!.details).toMatchObject({
      missing: ["https://missing.example"],
      met: {
        "HTTPS://Example.COM/guide/": "source url",
        doc_123: "document id",
        "pricing handbook": "source title",
        "https://linked.example/page": "linked in the output",
        "Field Notes": "linked in the output",
      },
    });
    expect(result!.explanation).toBe('5 of 6 required sources cited; missing: "https://missing.example"');
  });

  it("does not count a mere mention of a title as a citation", async () => {
    const result = await run(scoreCitations, { citations: ["Field Notes"] }, { output: "As the field notes say." });
    expect(result!.score).toBe(0);
  });
});

describe("cost, tokens and latency", () => {
  it("score 1 within the limit and fall linearly to 0 at twice it", async () => {
    expect((await run(scoreCost, { maxCostUsd: 0.02 }, { costUsd: 0.02 }))!.score).toBe(1);
    expect((await run(scoreCost, { maxCostUsd: 0.02 }, { costUsd: 0.03 }))!.score).toBeCloseTo(0.5);
    expect((await run(scoreCost, { maxCostUsd: 0.02 }, { costUsd: 0.5 }))!.score).toBe(0);
    const tokens = await run(scoreTokens, { maxTokens: 1000 }, { tokens: 1250 });
    expect(tokens!.score).toBeCloseTo(0.75);
    expect(tokens!.explanation).toBe(
      "tokens used 1,250 is over the limit of 1,000: the score falls linearly from 1 at the limit to 0 at twice it",
    );
    const latency = await run(scoreLatency, { maxDurationMs: 5000 }, { durationMs: 1200 });
    expect(latency).toMatchObject({ score: 1, explanation: "duration 1.20 s is within the limit of 5.00 s" });
    expect(await run(scoreLatency, {}, {})).toBeNull();
  });
});

describe("similarity without an embedding model", () => {
  it("is the cosine of word-stem frequencies, 1 for the same words and higher for a closer text", async () => {
    const reference = "The harbour lighthouse was rebuilt in 1902 after a storm destroyed the old tower.";
    expect(
      lexicalSimilarity(reference, "After a storm destroyed the old tower, the harbour lighthouse was rebuilt in 1902.", "x").score,
    ).toBeCloseTo(1);
    const close = lexicalSimilarity(reference, "A storm destroyed the harbour's old lighthouse tower; it was rebuilt.", "x").score;
    const far = lexicalSimilarity(reference, "Quarterly revenue grew in the retail segment.", "x").score;
    expect(close).toBeGreaterThan(0.5);
    expect(far).toBe(0);
    const viaScorer = await run(scoreSimilarity, { reference }, { output: "The lighthouse was rebuilt." });
    expect(viaScorer!.explanation).toMatch(
      /^lexical similarity to the reference \(cosine of word-stem frequencies; no embedding model configured\)/,
    );
    expect((await run(scoreSimilarity, { reference }, { output: "" }))!.score).toBe(0);
  });
});

describe("the embedding model", () => {
  it("is configured only with CHORUS_EMBEDDING_MODEL and an OpenAI or OpenAI-compatible provider", () => {
    expect(getEmbeddingModel({})).toBeUndefined();
    expect(getEmbeddingModel({ CHORUS_EMBEDDING_MODEL: "text-embedding-3-small" })).toBeUndefined();
    expect(getEmbeddingModel({ CHORUS_EMBEDDING_MODEL: "text-embedding-3-small", ANTHROPIC_API_KEY: "k" })).toBeUndefined();
    expect(getEmbeddingModel({ CHORUS_EMBEDDING_MODEL: "text-embedding-3-small", OPENAI_API_KEY: "k" })?.modelId).toBe(
      "text-embedding-3-small",
    );
    expect(getEmbeddingModel({ CHORUS_EMBEDDING_MODEL: "nomic", OPENAI_BASE_URL: "http://127.0.0.1:11434/v1" })?.modelId).toBe("nomic");
  });
});

describe("the offline judge's estimate", () => {
  it("counts the rubric's criteria the output's words cover, the same way every time", () => {
    const rubric = "- Names the three primary colours.\n- Explains how mixing works. Mentions a colour wheel.";
    const better =
      "The three primary colours are red, yellow and blue. Mixing works by combining two into a secondary colour, as a colour wheel shows.";
    const worse = "Colours are nice.";
    const first = estimateRubricCoverage(rubric, better);
    expect(estimateRubricCoverage(rubric, better)).toEqual(first);
    expect(first.score).toBe(1);
    const low = estimateRubricCoverage(rubric, worse);
    expect(low.score).toBeLessThan(first.score);
    expect(low.missing).toContain("Explains how mixing works.");
    expect(low.reasoning).toMatch(/^Offline estimate \(word overlap, not a model's judgement\): \d of 3 rubric criteria covered/);
  });
});

describe("scoreCase", () => {
  const config = { passScore: 0.7 };

  it("is the weighted mean of the scorers that ran; a weight of 0 turns one off", async () => {
    const expected: EvalExpectations = { contains: ["alpha", "beta"], matches: ["gamma"], maxTokens: 100 };
    const caseOutcome = outcome({ output: "alpha and gamma", tokens: 50 });
    const even = await scoreCase({ teamId: "t", prompt: "p", expected, outcome: caseOutcome, config });
    expect(even.scores.map((result) => [result.scorer, result.score, result.weight])).toEqual([
      ["contains", 0.5, 1],
      ["regex", 1, 1],
      ["tokens", 1, 1],
    ]);
    expect(even.score).toBeCloseTo(2.5 / 3);
    expect(even.passed).toBe(true);
    expect(even.explanation).toBe("weighted mean of 3 scorers: 0.833 ≥ pass score 0.7");

    const weighted = await scoreCase({
      teamId: "t",
      prompt: "p",
      expected,
      outcome: caseOutcome,
      config: { ...config, scorers: { contains: 4, tokens: 0 } },
    });
    expect(weighted.scores.map((result) => result.scorer)).toEqual(["contains", "regex"]);
    expect(weighted.score).toBeCloseTo((0.5 * 4 + 1) / 5);
    expect(weighted.passed).toBe(false);
  });

  it("scores a completed case with no expectations 1, and says why", async () => {
    const result = await scoreCase({ teamId: "t", prompt: "p", expected: {}, outcome: outcome({ output: "anything" }), config });
    expect(result).toMatchObject({ scores: [], score: 1, passed: true });
    expect(result.explanation).toMatch(/^no expectations/);
    const allOff = await scoreCase({
      teamId: "t",
      prompt: "p",
      expected: { contains: ["x"] },
      outcome: outcome(),
      config: { ...config, scorers: { contains: 0 } },
    });
    expect(allOff).toMatchObject({ scores: [], score: 1, passed: true });
  });

  it("scores a task that did not complete 0, failed, whatever its output", async () => {
    for (const status of ["failed", "cancelled", "budget_exceeded"]) {
      const result = await scoreCase({
        teamId: "t",
        prompt: "p",
        expected: { contains: ["alpha"] },
        outcome: outcome({ status, output: "alpha" }),
        config,
      });
      expect(result).toMatchObject({ scores: [], score: 0, passed: false });
      expect(result.explanation).toContain(`did not complete (${status})`);
    }
    const noExpectations = await scoreCase({ teamId: "t", prompt: "p", expected: {}, outcome: outcome({ status: "failed" }), config });
    expect(noExpectations).toMatchObject({ score: 0, passed: false });
  });

  it("passes exactly at the pass score", async () => {
    const result = await scoreCase({
      teamId: "t",
      prompt: "p",
      expected: { contains: ["a1", "a2", "a3", "a4"] },
      outcome: outcome({ output: "a1 a2 a3" }),
      config: { passScore: 0.75 },
    });
    expect(result).toMatchObject({ score: 0.75, passed: true });
    expect(combinedScore([])).toBe(1);
  });
});
