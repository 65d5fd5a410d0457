/**
 * The one error type for expected failures. `code` decides the HTTP status (and the tRPC
 * code); `field` names the offending input where there is one. Anything that is not an
 * AppError is a bug: callers log it and answer a generic 500 without details.
 */
import { isDatabaseUnavailable } from "@/server/db/unavailable";

export type ErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "unavailable";

export const httpStatusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
};

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    /** HTTP headers the answer must carry (a 429's Retry-After and RateLimit-*). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export interface ErrorBody {
  error: { code: ErrorCode | "internal"; message: string; field?: string; issues?: Array<{ field: string; message: string }> };
}

/**
 * The AppError an error stands for, if any: itself, or — for the database being unavailable
 * (restarting, unreachable) — a 503 the client can retry, instead of a 500 that reads as a bug.
 */
export function knownError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (isDatabaseUnavailable(error)) return new AppError("unavailable", "The database is unavailable right now; try again shortly");
  return undefined;
}

export function errorBody(error: AppError): ErrorBody {
  return { error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } };
}
