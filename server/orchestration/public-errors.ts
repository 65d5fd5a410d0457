import { randomBytes } from "node:crypto";
import { isDatabaseUnavailable } from "@/server/db/unavailable";
import { reportModelError } from "@/server/llm";
import { logger } from "@/server/observability/logger";

/**
 * What a task or an agent execution may say about the error that stopped it. Those errors are
 * stored and streamed to every member of the team, viewers included, so an error not written
 * for them — a bug (a TypeError…), a database, driver or system error whose text can name
 * hosts, tables, constraints or paths — is logged in full under a short reference, and the task
 * shows a generic message with that reference. A failed model call says where it went, the
 * status and whether it is retried, never the provider's text (reportModelError logs that);
 * Chorus's own errors keep their message.
 */
export function publicErrorMessage(error: unknown, context: Record<string, unknown> = {}): string {
  return toPublicError(error, context).message;
}

/**
 * The error to throw on in place of `error`, whose message members may see: a model failure as a
 * ModelCallFailed, an internal error as a PublicStepError (both logged once, with a reference),
 * and any other error as itself.
 */
export function toPublicError(error: unknown, context: Record<string, unknown> = {}): Error {
  const failed = reportModelError(error, context);
  if (failed) return failed;
  if (!isInternalError(error)) return error instanceof Error ? error : new Error(String(error));
  const reference = randomBytes(4).toString("hex");
  logger.error("an internal error stopped a step", { reference, ...context, error, cause: (error as Error).cause });
  const message = isDatabaseUnavailable(error)
    ? `The database was unavailable (reference ${reference}); the step is retried while attempts remain`
    : `Chorus hit an internal error (reference ${reference}); the server log has the details`;
  return new PublicStepError(message, { cause: error });
}

/** JavaScript's own errors (bugs) and the database driver's, by name: a step's error keeps only its name across a replay. */
const INTERNAL_NAMES = /^(TypeError|RangeError|ReferenceError|SyntaxError|EvalError|URIError|DatabaseError|Prisma\w*)$/;

export function isInternalError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (INTERNAL_NAMES.test(error.name)) return true;
  const details = error as Error & { code?: unknown; severity?: unknown; errno?: unknown; syscall?: unknown };
  if (typeof details.severity === "string" && typeof details.code === "string") return true; // a Postgres error
  if (details.errno !== undefined || typeof details.syscall === "string") return true; // a system error
  return isDatabaseUnavailable(error);
}

/** An error whose message is already fit to show (see publicErrorMessage); the original is its cause. */
export class PublicStepError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = "StepFailed";
  }
}
