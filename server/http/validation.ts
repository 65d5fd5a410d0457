import type { z } from "zod";
import { AppError } from "@/server/errors";

export class ValidationError extends AppError {
  constructor(readonly issues: Array<{ field: string; message: string }>) {
    super("bad_request", issues.map((issue) => (issue.message.startsWith(issue.field) ? issue.message : `${issue.field}: ${issue.message}`)).join("; "), issues[0]?.field);
  }
}

/**
 * Parses input with a zod schema; failure is a 400 naming each offending field. Text with a NUL
 * character (`\u0000`) is refused the same way: Postgres can store it in neither text nor jsonb.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw new ValidationError(
      result.error.issues.map((issue) => ({ field: issue.path.join(".") || "body", message: issue.message })),
    );
  }
  const withNul = fieldsWithNul(result.data);
  if (withNul.length > 0) {
    throw new ValidationError(withNul.map((field) => ({ field, message: `${field} must not contain NUL (\\u0000) characters` })));
  }
  return result.data;
}

/** The paths of the strings (values or object keys) in `value` that contain a NUL character. */
function fieldsWithNul(value: unknown, path: string[] = []): string[] {
  const here = () => path.join(".") || "body";
  if (typeof value === "string") return value.includes("\u0000") ? [here()] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => fieldsWithNul(item, [...path, String(index)]));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) =>
      key.includes("\u0000") ? [here()] : fieldsWithNul(item, [...path, key]),
    );
  }
  return [];
}
