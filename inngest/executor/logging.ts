/**
 * How the executor reports what it does. It imports no logger of its own: the application hands
 * one in (Chorus passes its JSON logger), so the engine can live in any process.
 */

/** Anything with these four methods fits: Chorus's logger, pino, `console`. */
export interface ExecutorLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Without a logger: warnings and errors go to the console (a failure must not vanish), the rest nowhere. */
export const consoleWarningsAndErrors: ExecutorLogger = {
  debug() {},
  info() {},
  warn: (message, fields) => (fields ? console.warn(message, fields) : console.warn(message)),
  error: (message, fields) => (fields ? console.error(message, fields) : console.error(message)),
};

/**
 * Reports a failure of the executor's own loop (claiming, renewing, a driver's statement).
 * Postgres going away — shutting down (a restart, or Ctrl-C, which reaches an embedded Postgres
 * as well), refusing connections, or a connection cut — is an operational event the executor
 * rides out (leases expire, work resumes), not a bug: it is a warning. Any other failure is an
 * error. `isDatabaseUnavailable` tells the two apart; without one, every failure is an error.
 */
export function loopFailureReporter(logger: ExecutorLogger, isDatabaseUnavailable: (error: unknown) => boolean) {
  return (message: string, fields: Record<string, unknown> & { error: unknown }) => {
    if (isDatabaseUnavailable(fields.error)) logger.warn(`${message} (the database is unavailable)`, fields);
    else logger.error(message, fields);
  };
}
