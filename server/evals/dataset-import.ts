import { parse as parseCsv } from "csv-parse/sync";
import { AppError } from "@/server/errors";
import { parseInput, ValidationError } from "@/server/validation";
import { evalCaseInput, importCasesInput, MAX_CASES_PER_DATASET, type EvalExpectations } from "./eval-schemas";

/**
 * Turns an imported file (JSONL or CSV, docs/evals.md#datasets) into validated cases, all or
 * nothing: the first bad line fails the whole import with a 400 naming `content`, the line and
 * the field, before anything is written. Pure, so the rules are tested without a database.
 */

export interface ImportedCase {
  key?: string;
  prompt: string;
  expected: EvalExpectations;
}

/** A case and the line of the file it was read from (the line a later refusal, a taken key, names). */
export type ImportedLine = ImportedCase & { line: number };

const CSV_COLUMNS = [
  "key",
  "prompt",
  "contains",
  "matches",
  "citations",
  "rubric",
  "reference",
  "maxCostUsd",
  "maxTokens",
  "maxDurationMs",
] as const;
const LIST_COLUMNS = new Set(["contains", "matches", "citations"]);
const NUMBER_COLUMNS = new Set(["maxCostUsd", "maxTokens", "maxDurationMs"]);

const badLine = (line: number, message: string) => new AppError("bad_request", `line ${line}: ${message}`, "content");

/** Validates one case as any other input is validated, naming the line in front of the field. */
function caseOnLine(line: number, value: unknown): ImportedLine {
  try {
    return { ...parseInput(evalCaseInput, value), line };
  } catch (error) {
    if (error instanceof ValidationError) throw badLine(line, error.message);
    throw error;
  }
}

function tooMany(count: number): AppError {
  return new AppError("bad_request", `The file holds ${count} cases; a dataset holds at most ${MAX_CASES_PER_DATASET}`, "content");
}

export function parseJsonlCases(content: string): ImportedLine[] {
  const cases: ImportedLine[] = [];
  const lines = content.split(/\r?\n/);
  for (const [index, text] of lines.entries()) {
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw badLine(index + 1, "is not valid JSON (each line is one case object)");
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw badLine(index + 1, "must be a JSON object");
    cases.push(caseOnLine(index + 1, value));
    if (cases.length > MAX_CASES_PER_DATASET) throw tooMany(cases.length);
  }
  return cases;
}

/** A CSV cell as the case's field: lists split on "|", numbers as numbers (a non-number stays text so validation names it). */
function cellValue(column: string, cell: string): unknown {
  if (LIST_COLUMNS.has(column))
    return cell
      .split("|")
      .map((item) => item.trim())
      .filter(Boolean);
  if (NUMBER_COLUMNS.has(column)) return cell.trim() !== "" && Number.isFinite(Number(cell)) ? Number(cell) : cell;
  return cell;
}

export function parseCsvCases(content: string): ImportedLine[] {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parseCsv(content, { bom: true, info: true, skip_empty_lines: true, relax_column_count: false }) as unknown as typeof records;
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new AppError("bad_request", `${line ? `line ${line}: ` : ""}the file is not valid CSV`, "content");
  }
  const [header, ...rows] = records;
  if (!header) throw new AppError("bad_request", "The CSV file is empty: its first line names the columns", "content");
  const columns = header.record.map((name) => name.trim());
  const unknown = columns.find((name) => !(CSV_COLUMNS as readonly string[]).includes(name));
  if (unknown !== undefined) throw badLine(1, `unknown column "${unknown.slice(0, 40)}"; columns are ${CSV_COLUMNS.join(", ")}`);
  if (!columns.includes("prompt")) throw badLine(1, "a column named prompt is required");
  if (rows.length > MAX_CASES_PER_DATASET) throw tooMany(rows.length);
  return rows.map(({ record, info }) => {
    const value: { key?: unknown; prompt?: unknown; expected: Record<string, unknown> } = { expected: {} };
    for (const [index, column] of columns.entries()) {
      const cell = record[index] ?? "";
      if (cell.trim() === "") continue;
      if (column === "key" || column === "prompt") value[column] = cell;
      else value.expected[column] = cellValue(column, cell);
    }
    // `info.lines` is the line the record ends on: the line a person finds it by in the file.
    return caseOnLine(info.lines, value);
  });
}

/** An import request: JSON `{ format, content, mode }`, or (REST) a multipart form with the file and `format`/`mode` fields. */
export type ImportSource = { json: unknown } | { form: { file?: { name: string; bytes: Uint8Array }; fields: Record<string, string> } };

/** The import's input as `importCasesInput` takes it; a form's format comes from its field or its file's extension. */
export function importInputOf(source: ImportSource): unknown {
  if ("json" in source) return source.json;
  const { file, fields } = source.form;
  if (!file) throw new AppError("bad_request", "Attach the file in a `file` field", "file");
  const extension = file.name.toLowerCase().split(".").pop();
  return {
    format: fields.format ?? (extension === "csv" ? "csv" : extension === "jsonl" || extension === "ndjson" ? "jsonl" : undefined),
    content: new TextDecoder("utf-8", { fatal: false }).decode(file.bytes),
    ...(fields.mode ? { mode: fields.mode } : {}),
  };
}

/** Validates an import request and its file: the cases to write and whether they replace the version's. */
export function parseImport(raw: unknown): { mode: "append" | "replace"; cases: ImportedLine[] } {
  const input = parseInput(importCasesInput, raw);
  const cases = input.format === "jsonl" ? parseJsonlCases(input.content) : parseCsvCases(input.content);
  if (cases.length === 0) throw new AppError("bad_request", "The file holds no cases", "content");
  return { mode: input.mode, cases };
}
