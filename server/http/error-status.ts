import { errorBody, httpStatusOf, knownError, type ErrorBody } from "@/server/errors";
import { logger } from "@/server/observability/logger";
import { ValidationError } from "@/server/validation";

/**
 * The one mapping from a thrown error to a REST answer, for Next routes and direct routes:
 * an AppError becomes its status with the field (and issues) it names; anything else is a bug,
 * logged and answered with a bare 500 that shows nothing.
 */
export function errorStatusAndBody(error: unknown): { status: number; body: ErrorBody } {
  const known = knownError(error);
  if (known) {
    const body = errorBody(known);
    if (known instanceof ValidationError) body.error.issues = known.issues;
    if (known !== error) logger.warn("request failed: the database is unavailable", { error });
    return { status: httpStatusOf[known.code], body };
  }
  logger.error("unhandled error in route", { error });
  return { status: 500, body: { error: { code: "internal", message: "Something went wrong on our side" } } };
}
