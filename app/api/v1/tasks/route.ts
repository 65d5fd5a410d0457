import { NextResponse } from "next/server";
import { readJsonBody, withCaller } from "@/server/http/route";
import { createTask, listTasks } from "@/server/tasks/tasks";
import { refuseOtherMethods } from "@/server/http/methods";

export const dynamic = "force-dynamic";

/** POST /api/v1/tasks — submit a task. 201 with the task (id, status "queued"). */
export const POST = withCaller(async (request, caller) => {
  const task = await createTask(caller, await readJsonBody(request));
  return NextResponse.json(task, { status: 201, headers: { Location: `/api/v1/tasks/${task.id}` } });
});

/** GET /api/v1/tasks?limit=&cursor= — the team's tasks, newest first. */
export const GET = withCaller(async (request, caller) => {
  const params = Object.fromEntries(new URL(request.url).searchParams);
  return NextResponse.json(await listTasks(caller, params));
});

/** Any other method: a JSON 405 naming the ones served. */
export const { PUT, PATCH, DELETE, OPTIONS } = refuseOtherMethods("GET", "POST");
