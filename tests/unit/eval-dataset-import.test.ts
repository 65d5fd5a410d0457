import { describe, expect, it } from "vitest";
import { importInputOf, parseCsvCases, parseImport, parseJsonlCases } from "@/server/evals/dataset-import";
import { caseFormValues, caseInputOf, emptyCaseForm } from "@/components/evals/case-form-values";

/**
 * Reading an imported dataset file (docs/evals.md#datasets): JSONL and CSV become the same
 * validated cases, and the first bad line is named with its field; and the dashboard's case
 * form turns its text fields into the same expectations and back.
 */
const messageOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a refusal");
};

describe("JSONL", () => {
  it("reads one case per line, skipping blank lines", () => {
    expect(parseJsonlCases('{"prompt":"A"}\n\n{"key":"b","prompt":"B","expected":{"contains":["x"]}}\r\n')).toEqual([
      { prompt: "A", expected: {}, line: 1 },
      { key: "b", prompt: "B", expected: { contains: ["x"] }, line: 3 },
    ]);
  });

  it("names the line and the field at fault", () => {
    expect(messageOf(() => parseJsonlCases('{"prompt":"A"}\n{"prompt":"B","expected":{"maxTokens":0}}'))).toMatch(
      /^line 2: expected\.maxTokens/,
    );
    expect(messageOf(() => parseJsonlCases('{"prompt":"A"}\n[1]'))).toBe("line 2: must be a JSON object");
    expect(messageOf(() => parseJsonlCases('{"prompt":"A","extra":1}'))).toMatch(/^line 1: /);
  });
});

describe("CSV", () => {
  it("splits list cells on | and reads numbers, with quoted commas and line breaks", () => {
    const csv = 'prompt,contains,maxCostUsd,key\n"Hello, world",a|b ,0.25,k1\n"Two\nlines",,,\n';
    expect(parseCsvCases(csv)).toEqual([
      { key: "k1", prompt: "Hello, world", expected: { contains: ["a", "b"], maxCostUsd: 0.25 }, line: 2 },
      { prompt: "Two\nlines", expected: {}, line: 4 },
    ]);
  });

  it("names the line a bad row ends on, an unknown column, and a missing prompt column", () => {
    expect(messageOf(() => parseCsvCases('prompt,maxTokens\n"Multi\nline",10\nBad,ten\n'))).toMatch(/^line 4: expected\.maxTokens/);
    expect(messageOf(() => parseCsvCases("prompt,colour\nA,red\n"))).toMatch(/^line 1: unknown column "colour"/);
    expect(messageOf(() => parseCsvCases("key\nk\n"))).toBe("line 1: a column named prompt is required");
    expect(messageOf(() => parseCsvCases('prompt\n"unterminated\n'))).toMatch(/not valid CSV/);
  });
});

describe("an import request", () => {
  it("takes a form's format from its file name, and refuses an empty file", () => {
    const input = importInputOf({ form: { file: { name: "Cases.CSV", bytes: new TextEncoder().encode("prompt\nA\n") }, fields: {} } });
    expect(parseImport(input)).toEqual({ mode: "append", cases: [{ prompt: "A", expected: {}, line: 2 }] });
    expect(messageOf(() => parseImport({ format: "jsonl", content: "\n\n" }))).toBe("The file holds no cases");
    expect(messageOf(() => importInputOf({ form: { fields: {} } }))).toMatch(/`file`/);
  });
});

describe("the case form", () => {
  it("turns its fields into expectations and back", () => {
    const expected = { contains: ["a", "b"], rubric: "Kind.", jsonSchema: { type: "object" }, maxTokens: 300 };
    const values = caseFormValues("Prompt", expected);
    expect(caseInputOf(values)).toEqual({ prompt: "Prompt", expected });
    expect(caseInputOf({ ...emptyCaseForm, prompt: "P", jsonSchema: "{nope" })).toEqual({
      error: "The JSON Schema is not valid JSON",
      field: "jsonSchema",
    });
  });
});
