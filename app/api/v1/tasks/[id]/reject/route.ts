import { NextResponse } from "next/server";
import { readJsonBody, withCaller } from "@/server/http/route";
import { rejectTask } from "@/server/tasks/task-actions";
import { refuseOtherMethods } from "@/server/http/methods";

export const dynamic = "force-dynamic";

/** POST /api/v1/tasks/{id}/reject — reject the plan (`{ "reason"?: string }`); the task ends cancelled. */
export const POST = withCaller<{ id: string }>(async (request, caller, params) =>
  NextResponse.json(await rejectTask(caller, params.id, await readJsonBody(request))),
);

/** Any other method: a JSON 405 naming the ones served. */
export const { GET, PUT, PATCH, DELETE, OPTIONS } = refuseOtherMethods("POST");
