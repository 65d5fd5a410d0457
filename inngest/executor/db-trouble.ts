import { isDatabaseUnavailable } from "@/server/db/unavailable";
import { logger } from "@/server/observability/logger";

/**
 * Postgres going away — shutting down (a restart, or Ctrl-C, which reaches the embedded Postgres
 * as well as Chorus), refusing connections, or a connection cut — is an operational event the
 * executor rides out (leases expire, work resumes), not a bug: it is logged as a warning. Any
 * other failure in the executor's loop is an error.
 */
export function logLoopFailure(message: string, fields: Record<string, unknown> & { error: unknown }) {
  if (isDatabaseUnavailable(fields.error)) logger.warn(`${message} (the database is unavailable)`, fields);
  else logger.error(message, fields);
}
