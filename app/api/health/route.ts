import { NextResponse } from "next/server";
import { checkHealth } from "@/server/db/health";
import { refuseOtherMethods } from "@/server/http/methods";

export const dynamic = "force-dynamic";

/** GET /api/health — 200 when every check passes, 503 otherwise. No authentication, no secrets. */
export async function GET() {
  const health = await checkHealth();
  return NextResponse.json(health, { status: health.status === "ok" ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}

/** Any other method: a JSON 405 naming the ones served. */
export const { POST, PUT, PATCH, DELETE, OPTIONS } = refuseOtherMethods("GET");
