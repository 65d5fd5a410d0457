import { NextResponse } from "next/server";
import { checkHealth } from "@/server/observability/health";

export const dynamic = "force-dynamic";

/** GET /api/health — 200 when every check passes, 503 otherwise. No authentication, no secrets. */
export async function GET() {
  const health = await checkHealth();
  return NextResponse.json(health, { status: health.status === "ok" ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
