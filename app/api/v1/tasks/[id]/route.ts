import { NextResponse } from "next/server";
import { withCaller } from "@/server/http/route";
import { getTask } from "@/server/tasks/tasks";

export const dynamic = "force-dynamic";

/** GET /api/v1/tasks/{id} — status, plan, agent executions and, once completed, the result. */
export const GET = withCaller<{ id: string }>(async (_request, caller, params) => {
  return NextResponse.json(await getTask(caller, params.id));
});
