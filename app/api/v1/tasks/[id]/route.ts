import { NextResponse } from "next/server";
import { withCaller } from "@/server/http/route";
import { getTask } from "@/server/tasks/tasks";
import { refuseOtherMethods } from "@/server/http/methods";

export const dynamic = "force-dynamic";

/** GET /api/v1/tasks/{id} — status, plan, agent executions and, once completed, the result. */
export const GET = withCaller<{ id: string }>(async (_request, caller, params) => {
  return NextResponse.json(await getTask(caller, params.id));
});

/** Any other method: a JSON 405 naming the ones served. */
export const { POST, PUT, PATCH, DELETE, OPTIONS } = refuseOtherMethods("GET");
