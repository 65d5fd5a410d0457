import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { ZodError } from "zod";
import { requestCaller } from "@/server/auth/session-caller";
import { requirePermission, type Caller } from "@/server/auth/caller";
import type { Permission } from "@/server/auth/permissions";
import { AppError, knownError, type ErrorCode } from "@/server/errors";
import { logger } from "@/server/observability/logger";
import { enforceRateLimit, rateLimitIdentityOf, type RateLimitTier } from "@/server/rate-limit";
import { ValidationError } from "@/server/validation";
import { chorusServices, type ChorusServices } from "./services";

/**
 * The one place that builds the tRPC context and procedures. `procedureFor(permission)` is a
 * procedure that has already authenticated the caller (session or API key) and checked that
 * their role grants `permission`; handlers receive a non-null `ctx.caller` and call
 * `ctx.services`.
 *
 * A context is one request: the calls of a batch share it, so its caller is resolved once — on
 * the first call that needs it, inside the procedure, where a refusal becomes a tRPC error like
 * any other. A test that builds callers with `createCallerFactory` passes `() =>
 * createTRPCContext(…)` to make each call a request of its own, as over HTTP.
 */
export function createTRPCContext(options: { headers: Headers; services?: ChorusServices }) {
  const { headers, services = chorusServices } = options;
  let caller: Promise<Caller> | undefined;
  return {
    headers,
    services,
    /** The request's caller: an API key (Authorization) or the session cookie; unauthorized otherwise. */
    resolveCaller: () => (caller ??= requestCaller(headers)),
  };
}

const trpcCodeOf: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  bad_request: "BAD_REQUEST",
  unauthorized: "UNAUTHORIZED",
  forbidden: "FORBIDDEN",
  not_found: "NOT_FOUND",
  method_not_allowed: "METHOD_NOT_SUPPORTED",
  conflict: "CONFLICT",
  payload_too_large: "PAYLOAD_TOO_LARGE",
  unsupported_media_type: "UNSUPPORTED_MEDIA_TYPE",
  rate_limited: "TOO_MANY_REQUESTS",
  unavailable: "SERVICE_UNAVAILABLE",
};

/** What a procedure requires, as data: tests enumerate it to check every procedure's permission. */
export interface ProcedureMeta {
  permission?: Permission;
  rateLimit?: RateLimitTier;
}

const t = initTRPC
  .context<typeof createTRPCContext>()
  .meta<ProcedureMeta>()
  .create({
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      const field = cause instanceof AppError ? cause.field : cause instanceof ZodError ? cause.issues[0]?.path.join(".") : undefined;
      const issues =
        cause instanceof ValidationError
          ? cause.issues
          : cause instanceof ZodError
            ? cause.issues.map((issue) => ({ field: issue.path.join("."), message: issue.message }))
            : undefined;
      // Never send stack traces to clients.
      const { stack: _stack, ...data } = shape.data;
      return { ...shape, data: { ...data, field, issues } };
    },
  });

/** Converts AppErrors into TRPCErrors with the matching code; hides unexpected errors. */
const errorMapping = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (!result.ok) {
    const cause = knownError(result.error.cause);
    if (cause) {
      if (cause !== result.error.cause)
        logger.warn("tRPC procedure failed: the database is unavailable", { path, error: result.error.cause });
      throw new TRPCError({ code: trpcCodeOf[cause.code], message: cause.message, cause });
    }
    if (result.error.code === "INTERNAL_SERVER_ERROR") {
      logger.error("unhandled error in tRPC procedure", { path, error: result.error.cause ?? result.error });
      throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Something went wrong on our side" });
    }
  }
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(errorMapping);

const authenticated = publicProcedure.use(async ({ ctx, next }) => {
  const caller = await ctx.resolveCaller();
  return next({ ctx: { ...ctx, caller } });
});

/**
 * A procedure for callers whose role grants `permission`, counted against a rate-limit tier:
 * `spend` for what starts model work (pass it), otherwise `read` for reading and `write` for
 * anything that changes something. Over the limit is TOO_MANY_REQUESTS, before the handler runs.
 */
export function procedureFor(permission: Permission, rateLimit: RateLimitTier = permission === "read" ? "read" : "write") {
  return authenticated.meta({ permission, rateLimit }).use(async ({ ctx, next }) => {
    const caller = requirePermission(ctx.caller, permission);
    await enforceRateLimit({ teamId: caller.teamId, identity: rateLimitIdentityOf(caller), tier: rateLimit });
    return next({ ctx: { ...ctx, caller } });
  });
}
