import { NextResponse } from "next/server";
import { requestCaller } from "@/server/auth/session-caller";
import type { Caller } from "@/server/auth/caller";
import { AppError } from "@/server/errors";
import { errorStatusAndBody } from "./error-status";

/**
 * Wraps every REST route: resolves the caller (API key or session), runs the handler, and
 * turns errors into JSON — an AppError into its status with the field it names, anything
 * else into a bare 500 (logged, never shown).
 */
export function errorResponse(error: unknown): NextResponse {
  const { status, body } = errorStatusAndBody(error);
  return NextResponse.json(body, { status });
}

type RouteContext<P> = { params: Promise<P> };

export function withCaller<P = Record<string, never>>(
  handler: (request: Request, caller: Caller, params: P) => Promise<Response>,
) {
  return async (request: Request, context: RouteContext<P>) => {
    try {
      const caller = await requestCaller(request.headers);
      return await handler(request, caller, await context.params);
    } catch (error) {
      return errorResponse(error);
    }
  };
}

const MAX_BODY_BYTES = 256 * 1024;

/** Reads a JSON body: not JSON or too large is a 4xx naming the body, never a 500. */
export async function readJsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new AppError("payload_too_large", `Request body must be at most ${MAX_BODY_BYTES} bytes`, "body");
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("bad_request", "Request body must be valid JSON", "body");
  }
}
