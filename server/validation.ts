import type { z } from "zod";
import { AppError } from "@/server/errors";
import { hasLoneSurrogate } from "@/server/text/cut-text";

export class ValidationError extends AppError {
  constructor(readonly issues: Array<{ field: string; message: string }>) {
    super(
      "bad_request",
      issues.map((issue) => (issue.message.startsWith(issue.field) ? issue.message : `${issue.field}: ${issue.message}`)).join("; "),
      issues[0]?.field,
    );
  }
}

/**
 * Parses input with a zod schema; failure is a 400 naming each offending field. Three things no
 * schema catches are refused the same way: text with a NUL character (`\u0000`) or a lone
 * surrogate (`"\ud800"`: JSON allows the escape, but it is no character, and Postgres can store
 * neither in text or jsonb), and nesting deeper than MAX_DEPTH levels (free-form
 * fields such as an edited plan would otherwise carry it into code that recurses).
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw new ValidationError(result.error.issues.map((issue) => ({ field: issue.path.join(".") || "body", message: issue.message })));
  }
  const problems = unstorableFields(result.data);
  if (problems.length > 0) throw new ValidationError(problems);
  return result.data;
}

export const MAX_DEPTH = 32;

/** Strings (values or keys) with a NUL character, and values nested deeper than MAX_DEPTH. */
function unstorableFields(value: unknown): Array<{ field: string; message: string }> {
  const problems = new Map<string, string>();
  // Iterative, each entry linked to its parent: input may nest deeper than the call stack allows.
  type Entry = { value: unknown; key?: string; parent?: Entry; depth: number };
  const pathOf = (entry: Entry) => {
    const keys: string[] = [];
    for (let at: Entry | undefined = entry; at?.key !== undefined; at = at.parent) keys.unshift(at.key);
    return keys.join(".") || "body";
  };
  const pending: Entry[] = [{ value, depth: 0 }];
  for (let entry = pending.pop(); entry; entry = pending.pop()) {
    if (typeof entry.value === "string") {
      if (entry.value.includes("\u0000")) problems.set(pathOf(entry), "must not contain NUL (\\u0000) characters");
      else if (hasLoneSurrogate(entry.value))
        problems.set(pathOf(entry), "must not contain a lone surrogate (half of a UTF-16 pair, not a character)");
      continue;
    }
    if (entry.value === null || typeof entry.value !== "object") continue;
    if (entry.depth >= MAX_DEPTH) {
      problems.set(pathOf(entry), `is nested more than ${MAX_DEPTH} levels deep`);
      continue;
    }
    for (const [key, item] of Object.entries(entry.value)) {
      if (key.includes("\u0000")) problems.set(pathOf(entry), "must not contain NUL (\\u0000) characters in its keys");
      else if (hasLoneSurrogate(key)) problems.set(pathOf(entry), "must not contain a lone surrogate in its keys");
      else pending.push({ value: item, key, parent: entry, depth: entry.depth + 1 });
    }
  }
  return [...problems].sort(([a], [b]) => a.localeCompare(b)).map(([field, message]) => ({ field, message: `${field} ${message}` }));
}
