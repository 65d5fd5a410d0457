import { NextResponse } from "next/server";
import { AppError, errorBody } from "@/server/errors";

/**
 * What a Next route under /api (next-auth's, Inngest's) answers for the methods it does not
 * serve: Next.js answers a method a route does not export with an empty 405; an API client gets
 * a JSON error like every other, naming what was wrong.
 */
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type RouteMethod = (typeof METHODS)[number];

type Refusal = (request: Request) => NextResponse;

/**
 * Handlers answering 405 with a JSON error and an `Allow` header for every method the route
 * does not serve, and the route's `OPTIONS` (204 with the same `Allow`; Next's own would list
 * these refusals as served). Export them beside the route's own:
 * `export const { PUT, PATCH, DELETE, OPTIONS } = refuseOtherMethods("GET", "POST");`
 */
export function refuseOtherMethods<const Allowed extends RouteMethod>(
  ...allowed: Allowed[]
): Record<Exclude<RouteMethod, Allowed>, Refusal> & { OPTIONS: () => Response } {
  const served: string[] = allowed;
  const allow = [...served, ...(served.includes("GET") ? ["HEAD"] : []), "OPTIONS"].join(", ");
  const refuse: Refusal = (request) =>
    NextResponse.json(
      errorBody(new AppError("method_not_allowed", `${request.method} is not supported here; use ${served.join(" or ")}`, "method")),
      { status: 405, headers: { Allow: allow } },
    );
  const refusals = Object.fromEntries(METHODS.filter((method) => !served.includes(method)).map((method) => [method, refuse]));
  return {
    ...(refusals as Record<Exclude<RouteMethod, Allowed>, Refusal>),
    OPTIONS: () => new Response(null, { status: 204, headers: { Allow: allow } }),
  };
}
