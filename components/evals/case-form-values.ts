import type { EvalExpectations } from "@/server/evals/eval-schemas";

/**
 * A case's expectations as the case form holds them (text fields: lists one per line, the JSON
 * Schema as text) and back. Pure, so the form and its tests agree on one conversion; the server
 * validates what comes out and names a bad field.
 */
export interface CaseFormValues {
  prompt: string;
  contains: string;
  matches: string;
  citations: string;
  rubric: string;
  reference: string;
  jsonSchema: string;
  maxCostUsd: string;
  maxTokens: string;
  maxDurationMs: string;
}

export const emptyCaseForm: CaseFormValues = {
  prompt: "",
  contains: "",
  matches: "",
  citations: "",
  rubric: "",
  reference: "",
  jsonSchema: "",
  maxCostUsd: "",
  maxTokens: "",
  maxDurationMs: "",
};

const lines = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

export function caseFormValues(prompt: string, expected: EvalExpectations): CaseFormValues {
  return {
    prompt,
    contains: (expected.contains ?? []).join("\n"),
    matches: (expected.matches ?? []).join("\n"),
    citations: (expected.citations ?? []).join("\n"),
    rubric: expected.rubric ?? "",
    reference: expected.reference ?? "",
    jsonSchema: expected.jsonSchema ? JSON.stringify(expected.jsonSchema, null, 2) : "",
    maxCostUsd: expected.maxCostUsd?.toString() ?? "",
    maxTokens: expected.maxTokens?.toString() ?? "",
    maxDurationMs: expected.maxDurationMs?.toString() ?? "",
  };
}

/** The case's input for the API; a JSON Schema that is not JSON is reported by field, before anything is sent. */
export function caseInputOf(
  values: CaseFormValues,
): { prompt: string; expected: Record<string, unknown> } | { error: string; field: string } {
  const expected: Record<string, unknown> = {};
  for (const list of ["contains", "matches", "citations"] as const) if (lines(values[list]).length) expected[list] = lines(values[list]);
  for (const text of ["rubric", "reference"] as const) if (values[text].trim()) expected[text] = values[text].trim();
  for (const limit of ["maxCostUsd", "maxTokens", "maxDurationMs"] as const) {
    const raw = values[limit].trim();
    // A number the field cannot hold is sent as it is: the server's message says what the field takes.
    if (raw) expected[limit] = Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  if (values.jsonSchema.trim()) {
    try {
      expected.jsonSchema = JSON.parse(values.jsonSchema);
    } catch {
      return { error: "The JSON Schema is not valid JSON", field: "jsonSchema" };
    }
  }
  return { prompt: values.prompt, expected };
}
