import { NextResponse } from "next/server";
import { readJsonBody, withCaller } from "@/server/http/route";
import { approveTask } from "@/server/tasks/task-actions";
import { refuseOtherMethods } from "@/server/http/methods";

export const dynamic = "force-dynamic";

/** POST /api/v1/tasks/{id}/approve — approve the plan of a task awaiting approval, optionally with an edited `plan`. */
export const POST = withCaller<{ id: string }>(async (request, caller, params) =>
  NextResponse.json(await approveTask(caller, params.id, await readJsonBody(request))),
);

/** Any other method: a JSON 405 naming the ones served. */
export const { GET, PUT, PATCH, DELETE, OPTIONS } = refuseOtherMethods("POST");
