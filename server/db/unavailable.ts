/**
 * Whether an error means Postgres is unavailable — shutting down or restarting (57P01–57P03),
 * refusing or losing connections (08xxx, ECONNREFUSED, a cut connection) — rather than that a
 * statement was wrong. Callers treat it as an operational condition: the executor rides it out,
 * requests answer 503 so clients retry.
 */
const UNAVAILABLE_CODES = new Set(["57P01", "57P02", "57P03", "ECONNREFUSED", "ECONNRESET", "EPIPE", "ENOENT"]);

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === "string" && (UNAVAILABLE_CODES.has(code) || code.startsWith("08"))) return true;
  return /Connection terminated|connection ended|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
    error.message,
  );
}
