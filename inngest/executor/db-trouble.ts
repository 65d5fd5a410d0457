import { logger } from "@/server/observability/logger";

/**
 * Postgres going away — shutting down (a restart, or Ctrl-C, which reaches the embedded Postgres
 * as well as Chorus), refusing connections, or a connection cut — is an operational event the
 * executor rides out (leases expire, work resumes), not a bug: it is logged as a warning. Any
 * other failure in the executor's loop is an error.
 */
const UNAVAILABLE_CODES = new Set(["57P01", "57P02", "57P03", "ECONNREFUSED", "ECONNRESET", "EPIPE", "ENOENT"]);

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === "string" && (UNAVAILABLE_CODES.has(code) || code.startsWith("08"))) return true;
  return /Connection terminated|connection ended|Client has encountered a connection error/i.test(error.message);
}

/** Logs a failure of the executor's loop: a warning when the database is unavailable, else an error. */
export function logLoopFailure(message: string, fields: Record<string, unknown> & { error: unknown }) {
  if (isDatabaseUnavailable(fields.error)) logger.warn(`${message} (the database is unavailable)`, fields);
  else logger.error(message, fields);
}
