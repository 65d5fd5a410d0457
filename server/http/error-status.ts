import { AppError, errorBody, httpStatusOf, type ErrorBody } from "@/server/errors";
import { logger } from "@/server/observability/logger";
import { ValidationError } from "./validation";

/**
 * The one mapping from a thrown error to a REST answer, for Next routes and direct routes:
 * an AppError becomes its status with the field (and issues) it names; anything else is a bug,
 * logged and answered with a bare 500 that shows nothing.
 */
export function errorStatusAndBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AppError) {
    const body = errorBody(error);
    if (error instanceof ValidationError) body.error.issues = error.issues;
    return { status: httpStatusOf[error.code], body };
  }
  logger.error("unhandled error in route", { error });
  return { status: 500, body: { error: { code: "internal", message: "Something went wrong on our side" } } };
}
