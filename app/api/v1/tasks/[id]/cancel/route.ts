import { NextResponse } from "next/server";
import { withCaller } from "@/server/http/route";
import { cancelTask } from "@/server/tasks/task-actions";

export const dynamic = "force-dynamic";

/** POST /api/v1/tasks/{id}/cancel — stop a queued, running or waiting task; in-flight model calls are aborted. */
export const POST = withCaller<{ id: string }>(async (_request, caller, params) => NextResponse.json(await cancelTask(caller, params.id)));
