import Ajv, { type ValidateFunction } from "ajv";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { LRUCache } from "lru-cache";
import type { Scorer } from "./scorer";

/**
 * The result must be JSON valid against the case's JSON Schema (Ajv 8 with the standard
 * formats; draft-07 by default, draft 2020-12 when the schema's `$schema` says so). The JSON is
 * the output itself, else the first ```json fenced block, else the first {…} or […] in the text
 * that parses. A schema Ajv cannot compile (a bad keyword, an unresolvable $ref — nothing is
 * fetched) scores 0 with Ajv's message; it never throws. Each schema is compiled once and kept
 * (by its JSON text, the most recent MAX_COMPILED).
 */
const MAX_COMPILED = 200;
/** How many `{`/`[` openings are tried, within the output's first MAX_JSON_SCAN characters, before giving up on finding JSON in prose: each try reads on to its closing bracket, so these bound the work on a huge output. */
const MAX_JSON_OPENINGS = 50;
const MAX_JSON_SCAN = 1_000_000;

const draft07 = addFormats(new Ajv({ allErrors: true, strict: false }));
const draft2020 = addFormats(new Ajv2020({ allErrors: true, strict: false }));
const compiled = new LRUCache<string, { validate: ValidateFunction } | { error: string }>({ max: MAX_COMPILED });

function compile(schema: Record<string, unknown>): { validate: ValidateFunction } | { error: string } {
  const key = JSON.stringify(schema);
  let entry = compiled.get(key);
  if (entry) return entry;
  const ajv = typeof schema.$schema === "string" && schema.$schema.includes("2020-12") ? draft2020 : draft07;
  try {
    entry = { validate: ajv.compile(schema) };
  } catch (error) {
    entry = { error: error instanceof Error ? error.message : String(error) };
  }
  compiled.set(key, entry);
  return entry;
}

export const scoreJsonSchema: Scorer = async ({ expected, outcome }) => {
  const schema = expected.jsonSchema;
  if (!schema) return null;
  const validator = compile(schema);
  if ("error" in validator) {
    return {
      scorer: "json_schema",
      score: 0,
      explanation: `the case's JSON Schema is invalid: ${validator.error}`,
      details: { schemaError: validator.error },
    };
  }
  const found = findJson(outcome.output);
  if (!found) return { scorer: "json_schema", score: 0, explanation: "the output holds no JSON", details: { found: false } };
  if (validator.validate(found.value)) {
    return {
      scorer: "json_schema",
      score: 1,
      explanation: `the JSON (${found.from}) is valid against the schema`,
      details: { from: found.from },
    };
  }
  const errors = (validator.validate.errors ?? [])
    .slice(0, 10)
    .map((error) => `${error.instancePath || "(root)"} ${error.message ?? "is invalid"}`);
  return {
    scorer: "json_schema",
    score: 0,
    explanation: `the JSON (${found.from}) is not valid against the schema: ${errors.slice(0, 3).join("; ")}`,
    details: { from: found.from, errors },
  };
};

type Found = { value: unknown; from: "the whole output" | "a ```json block" | "embedded in the text" };

/** The JSON a result holds: all of it, a fenced block, or the first balanced {…}/[…] that parses. */
export function findJson(output: string): Found | undefined {
  const whole = tryParse(output);
  if (whole.ok) return { value: whole.value, from: "the whole output" };
  const fenced = /```(?:json|JSON)?[ \t]*\r?\n([\s\S]*?)```/.exec(output)?.[1];
  if (fenced !== undefined) {
    const parsed = tryParse(fenced);
    if (parsed.ok) return { value: parsed.value, from: "a ```json block" };
  }
  const scanned = output.slice(0, MAX_JSON_SCAN);
  let openings = 0;
  for (let start = 0; start < scanned.length && openings < MAX_JSON_OPENINGS; start += 1) {
    const char = scanned[start];
    if (char !== "{" && char !== "[") continue;
    openings += 1;
    const end = balancedEnd(scanned, start);
    if (end === -1) continue;
    const parsed = tryParse(scanned.slice(start, end + 1));
    if (parsed.ok) return { value: parsed.value, from: "embedded in the text" };
  }
  return undefined;
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  const trimmed = text.trim();
  if (!trimmed) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(trimmed) };
  } catch {
    return { ok: false };
  }
}

/** Where the bracket opened at `start` closes, skipping brackets inside strings; -1 when it never does. */
function balancedEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index += 1) {
    const char = text[index];
    if (inString) {
      if (char === "\\") index += 1;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === "{" || char === "[") depth += 1;
    else if (char === "}" || char === "]") {
      depth -= 1;
      if (depth === 0) return index;
    }
  }
  return -1;
}
