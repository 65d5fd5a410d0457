import type { z } from "zod";
import { AppError } from "@/server/errors";

export class ValidationError extends AppError {
  constructor(readonly issues: Array<{ field: string; message: string }>) {
    super("bad_request", issues.map((issue) => (issue.message.startsWith(issue.field) ? issue.message : `${issue.field}: ${issue.message}`)).join("; "), issues[0]?.field);
  }
}

/** Parses input with a zod schema; failure is a 400 naming each offending field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({ field: issue.path.join(".") || "body", message: issue.message })),
  );
}
