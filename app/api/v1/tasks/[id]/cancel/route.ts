import { NextResponse } from "next/server";
import { withCaller } from "@/server/http/route";
import { cancelTask } from "@/server/tasks/task-actions";
import { refuseOtherMethods } from "@/server/http/methods";

export const dynamic = "force-dynamic";

/** POST /api/v1/tasks/{id}/cancel — stop a queued, running or waiting task; in-flight model calls are aborted. */
export const POST = withCaller<{ id: string }>(async (_request, caller, params) => NextResponse.json(await cancelTask(caller, params.id)));

/** Any other method: a JSON 405 naming the ones served. */
export const { GET, PUT, PATCH, DELETE, OPTIONS } = refuseOtherMethods("POST");
