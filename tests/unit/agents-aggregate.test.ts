import { describe, expect, it } from "vitest";
import { aggregateResults } from "@/server/agents/aggregate";
import { dedupeSources, sourcesFromText } from "@/server/agents/sources";
import type { UpstreamOutput } from "@/server/agents/types";
import { createOfflineModel } from "@/server/llm/offline-model";

const taskPrompt = "Compare PostgreSQL and MySQL for analytics workloads";
const researchPg: UpstreamOutput = {
  stepId: "research-postgresql",
  agentKind: "research",
  text: "# Research notes: PostgreSQL\n\n- Strong SQL support for analytics.\n- Columnar extensions exist.",
  sources: [{ title: "PostgreSQL docs", url: "https://www.postgresql.org/docs/" }],
};
const researchMy: UpstreamOutput = {
  stepId: "research-mysql",
  agentKind: "research",
  text: "# Research notes: MySQL\n\n- Widely deployed for OLTP.\n- HeatWave adds analytics.",
  sources: [
    { title: "MySQL docs", url: "https://dev.mysql.com/doc/" },
    { title: "PostgreSQL documentation", url: "http://postgresql.org/docs?utm_source=newsletter" },
  ],
};
const synthesis: UpstreamOutput = {
  stepId: "synthesis",
  agentKind: "synthesis",
  text: "# PostgreSQL vs MySQL\n\n## Executive summary\n\nPostgreSQL suits analytics better.\n\n## Sources\n\n- made-up.example",
  sources: [{ title: "Benchmark notes" }, { title: "benchmark notes " }],
};

describe("aggregateResults", () => {
  it("uses the synthesis output as the body, with one deduplicated Sources section, without calling a model", async () => {
    const deltas: string[] = [];
    const result = await aggregateResults({
      taskPrompt,
      outputs: [researchPg, researchMy, synthesis],
      onDelta: (text) => deltas.push(text),
    });
    expect(result.markdown).toBe(
      [
        "# PostgreSQL vs MySQL\n\n## Executive summary\n\nPostgreSQL suits analytics better.",
        "## Sources",
        "1. [PostgreSQL docs](https://www.postgresql.org/docs/)\n2. [MySQL docs](https://dev.mysql.com/doc/)\n3. Benchmark notes",
      ].join("\n\n"),
    );
    expect(result.markdown.match(/## Sources/g)).toHaveLength(1);
    expect(result.sources).toHaveLength(3);
    expect(result).toMatchObject({ usage: { inputTokens: 0, outputTokens: 0 }, modelId: "none", costUsd: 0 });
    expect(deltas.join("")).toBe(result.markdown);
  });

  it("merges several outputs with the aggregator model when no synthesis step wrote the deliverable", async () => {
    const deltas: string[] = [];
    const result = await aggregateResults({
      taskPrompt,
      outputs: [researchPg, researchMy],
      model: createOfflineModel({ tokenDelayMs: 0 }),
      onDelta: (text) => deltas.push(text),
    });
    expect(result.markdown).toMatch(/^# PostgreSQL and MySQL: combined result/);
    expect(result.markdown).toContain("research-postgresql");
    expect(result.markdown).toContain("research-mysql");
    expect(result.markdown.trimEnd().endsWith("2. [MySQL docs](https://dev.mysql.com/doc/)")).toBe(true);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.modelId).toBe("chorus-offline");
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join("")).toBe(result.markdown);
  });

  it("leaves out the Sources section when no step found a source", async () => {
    const result = await aggregateResults({ taskPrompt, outputs: [{ ...synthesis, sources: [] }] });
    expect(result.markdown).not.toMatch(/Sources/);
  });

  it("refuses to aggregate nothing", async () => {
    await expect(aggregateResults({ taskPrompt, outputs: [] })).rejects.toThrow(/at least one/);
  });
});

describe("sources", () => {
  it("finds URLs in text without trailing punctuation", () => {
    expect(sourcesFromText("See https://example.com/a/b, and (https://example.org). Also http://x.io/report.pdf.")).toEqual([
      { title: "example.com/a/b", url: "https://example.com/a/b" },
      { title: "example.org", url: "https://example.org" },
      { title: "x.io/report.pdf", url: "http://x.io/report.pdf" },
    ]);
  });

  it("dedupes by normalised URL, or by title when there is no URL", () => {
    expect(
      dedupeSources([
        { title: "A", url: "https://www.example.com/page/" },
        { title: "A again", url: "http://example.com/page#intro" },
        { title: "A tracked", url: "https://example.com/page?utm_campaign=x" },
        { title: "B", url: "https://example.com/page?id=2" },
        { title: "Interview notes" },
        { title: "interview notes" },
      ]),
    ).toEqual([
      { title: "A", url: "https://www.example.com/page/" },
      { title: "B", url: "https://example.com/page?id=2" },
      { title: "Interview notes" },
    ]);
  });
});
