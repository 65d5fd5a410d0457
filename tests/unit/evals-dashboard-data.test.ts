import { describe, expect, it } from "vitest";
import { costScorePoints, costScoreSummary, scoreDistributionSummary, scoreHistogram, scoresOf } from "@/components/evals/eval-chart-data";
import { formatDelta, formatPassRate, formatScore, promptExcerpt } from "@/components/evals/eval-format";
import { startExperimentInputFrom, type ExperimentFormState } from "@/components/evals/experiment-form-input";
import { diffSummary, MAX_DIFFED_CHARS, outputDiff } from "@/components/evals/output-diff";
import { startExperimentInput } from "@/server/evals/eval-schemas";

describe("evals' numbers as the dashboard shows them", () => {
  it("formats scores, pass rates and prompts", () => {
    expect(formatScore(0.756)).toBe("0.76");
    expect(formatScore(null)).toBe("—");
    expect(formatPassRate(2 / 3)).toBe("66.7%");
    expect(formatPassRate(null)).toBe("—");
    expect(promptExcerpt("Compare   the\nmarket", 80)).toBe("Compare the market");
    expect(promptExcerpt("x".repeat(100), 10)).toBe(`${"x".repeat(9)}…`);
  });

  it("says which way a change went in text, and whether that is better for the team", () => {
    expect(formatDelta(0.12, { kind: "score" })).toEqual({ text: "▲ +0.12", tone: "better" });
    expect(formatDelta(-0.05, { kind: "rate" })).toEqual({ text: "▼ −5 pts", tone: "worse" });
    // Cost and time: down is better.
    expect(formatDelta(0.5, { kind: "cost", higherIsBetter: false })).toEqual({ text: "▲ +$0.50", tone: "worse" });
    expect(formatDelta(-1500, { kind: "ms", higherIsBetter: false })).toEqual({ text: "▼ −1.5 s", tone: "better" });
    expect(formatDelta(0.001, { kind: "score", epsilon: 0.005 })).toEqual({ text: "no change", tone: "same" });
    expect(formatDelta(null, { kind: "score" })).toEqual({ text: "—", tone: "same" });
  });
});

describe("evals' chart data", () => {
  it("bins scores into tenths, 1.0 in the last bin, per series", () => {
    const rows = scoreHistogram({ a: [0, 0.05, 0.7, 1], b: [0.99, 1, 0.3] });
    expect(rows).toHaveLength(10);
    expect(rows[0]).toMatchObject({ label: "0.0–0.1", a: 2, b: 0 });
    expect(rows[3]).toMatchObject({ label: "0.3–0.4", a: 0, b: 1 });
    expect(rows[7]).toMatchObject({ label: "0.7–0.8", a: 1, b: 0 });
    expect(rows[9]).toMatchObject({ label: "0.9–1.0", a: 1, b: 2 });
  });

  it("charts only scored cases", () => {
    const results = [
      { caseKey: "c-1", costUsd: 0.002, score: 0.9 },
      { caseKey: "c-2", costUsd: 0, score: null },
      { caseKey: "c-3", costUsd: 0.01, score: 0.4 },
    ];
    expect(scoresOf(results)).toEqual([0.9, 0.4]);
    const points = costScorePoints(results);
    expect(points.map((point) => point.caseKey)).toEqual(["c-1", "c-3"]);
    expect(costScoreSummary(points)).toBe("This experiment: 2 cases, cost $0.0020 to $0.01, score 0.40 to 0.90.");
  });

  it("summarises a distribution in one sentence", () => {
    expect(scoreDistributionSummary([1, 0.95, 0.2], 0.7)).toBe(
      "This experiment: 3 cases scored, mean 0.72; 2 at or above the pass score of 0.70; most in 0.9–1.0 (2).",
    );
    expect(scoreDistributionSummary([0.5], null, "Baseline x")).toBe("Baseline x: 1 case scored, mean 0.50; most in 0.5–0.6 (1).");
    expect(scoreDistributionSummary([], 0.7)).toBe("This experiment: no case scored yet.");
  });
});

describe("two outputs diffed word by word", () => {
  it("marks the words only in b as added and only in a as removed", () => {
    const { segments, cut } = outputDiff("Berlin is the capital of Germany.", "Berlin is the largest city of Germany.");
    expect(cut).toBe(false);
    expect(segments.filter((segment) => segment.kind === "removed").map((segment) => segment.text.trim())).toEqual(["capital"]);
    expect(segments.filter((segment) => segment.kind === "added").map((segment) => segment.text.trim())).toEqual(["largest city"]);
    expect(segments.map((segment) => (segment.kind === "added" ? "" : segment.text)).join("")).toBe("Berlin is the capital of Germany.");
    expect(diffSummary(segments)).toBe("2 words added, 1 removed.");
  });

  it("treats a missing output as empty, says when nothing changed, and cuts very long outputs", () => {
    expect(outputDiff(null, "new words").segments).toEqual([{ kind: "added", text: "new words" }]);
    expect(diffSummary(outputDiff("same", "same").segments)).toBe("The two outputs are the same.");
    expect(outputDiff("a ".repeat(MAX_DIFFED_CHARS), "b").cut).toBe(true);
  });
});

describe("the run form's fields as a start input", () => {
  const blank: ExperimentFormState = {
    datasetId: "ds1",
    name: "",
    datasetVersion: "",
    models: {},
    agentVersions: {},
    tools: true,
    cache: false,
    concurrency: "4",
    budgetUsd: "",
    passScore: "0.7",
    scorerWeights: {},
    baselineId: "",
  };

  it("leaves out what is blank: the team's routing, current versions, default weights, latest version", () => {
    const input = startExperimentInputFrom({
      ...blank,
      models: { planner: { providerId: "env", model: "  " } },
      agentVersions: { writer: "" },
    });
    expect(input).toEqual({ datasetId: "ds1", config: { tools: true, cache: false, passScore: 0.7, concurrency: 4 } });
    expect(startExperimentInput.safeParse(input).success).toBe(true);
  });

  it("carries every choice the form offers, in the shape the server validates", () => {
    const input = startExperimentInputFrom({
      ...blank,
      name: " tools off ",
      datasetVersion: "2",
      models: {
        default: { providerId: "env", model: "offline" },
        "agents.research": { providerId: "p1", model: "gpt-4o-mini" },
        "agents.analysis": { providerId: "p1", model: "" },
      },
      agentVersions: { writer: "3" },
      tools: false,
      cache: true,
      concurrency: "2",
      budgetUsd: "0.5",
      passScore: "0.8",
      scorerWeights: { judge: "0", contains: "2", regex: "" },
      baselineId: "exp1",
    });
    expect(input).toEqual({
      datasetId: "ds1",
      datasetVersion: 2,
      name: "tools off",
      config: {
        models: { default: [{ providerId: "env", model: "offline" }], agents: { research: [{ providerId: "p1", model: "gpt-4o-mini" }] } },
        agentVersions: { writer: 3 },
        tools: false,
        cache: true,
        scorers: { judge: 0, contains: 2 },
        passScore: 0.8,
        concurrency: 2,
      },
      budgetUsd: 0.5,
      baselineId: "exp1",
    });
    expect(startExperimentInput.safeParse(input).success).toBe(true);
  });

  it("sends a bad number as typed, so the server's answer names the field", () => {
    const parsed = startExperimentInput.safeParse(startExperimentInputFrom({ ...blank, concurrency: "99" }));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(["config", "concurrency"]);
  });
});
