import { getDb } from "@/server/db/client";

/**
 * Who submitted a task: the member (name, email) or the API key (its name). Read on the task
 * page only, so it stays out of the task view read on every poll.
 */
export async function findTaskSubmitter(
  teamId: string,
  taskId: string,
): Promise<{ user: { name: string | null; email: string } | null; apiKey: { name: string; prefix: string } | null } | undefined> {
  const task = await getDb().task.findFirst({
    where: { id: taskId, teamId },
    select: { createdBy: { select: { name: true, email: true } }, apiKey: { select: { name: true, prefix: true } } },
  });
  return task ? { user: task.createdBy, apiKey: task.apiKey } : undefined;
}
