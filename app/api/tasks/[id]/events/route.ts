import { withCaller } from "@/server/http/route";
import { taskEventStream } from "@/server/events/event-stream";
import { assertTaskInTeam } from "@/server/tasks/tasks";
import { refuseOtherMethods } from "@/server/http/methods";

export const dynamic = "force-dynamic";

/** GET /api/tasks/{id}/events — Server-Sent Events of the task's progress (resume with Last-Event-ID or ?after=). */
export const GET = withCaller<{ id: string }>(async (request, caller, params) => {
  const taskId = await assertTaskInTeam(caller, params.id);
  const resumeFrom = request.headers.get("last-event-id") ?? new URL(request.url).searchParams.get("after") ?? "0";
  const afterSeq = Number.isInteger(Number(resumeFrom)) && Number(resumeFrom) >= 0 ? Number(resumeFrom) : 0;
  return new Response(taskEventStream(taskId, afterSeq, request.signal), {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    },
  });
});

/** Any other method: a JSON 405 naming the ones served. */
export const { POST, PUT, PATCH, DELETE, OPTIONS } = refuseOtherMethods("GET");
