import { NextResponse } from "next/server";
import { readJsonBody, withCaller } from "@/server/http/route";
import { rerunTask } from "@/server/tasks/task-actions";
import { refuseOtherMethods } from "@/server/http/methods";

export const dynamic = "force-dynamic";

/** POST /api/v1/tasks/{id}/rerun — `{ "fromStep": "<step id>", "input"?: string }`; 201 with the new attempt (a new task). */
export const POST = withCaller<{ id: string }>(async (request, caller, params) => {
  const task = await rerunTask(caller, params.id, await readJsonBody(request));
  return NextResponse.json(task, { status: 201, headers: { Location: `/api/v1/tasks/${task.id}` } });
});

/** Any other method: a JSON 405 naming the ones served. */
export const { GET, PUT, PATCH, DELETE, OPTIONS } = refuseOtherMethods("POST");
