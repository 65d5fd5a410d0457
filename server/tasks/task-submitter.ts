import { requirePermission, type Caller } from "@/server/auth/caller";
import { AppError } from "@/server/errors";
import { findTaskSubmitter } from "@/server/db/queries/task-submitters";
import { taskId as taskIdSchema } from "./task-schemas";

/**
 * Who submitted a task, as the task page names them: a member by name (or email), an API key
 * by its name and prefix, or null when neither is known any more (the user or key was deleted).
 */
export async function describeTaskSubmitter(caller: Caller, id: unknown): Promise<string | null> {
  requirePermission(caller, "read");
  const parsed = taskIdSchema.safeParse(id);
  const submitter = parsed.success ? await findTaskSubmitter(caller.teamId, parsed.data) : undefined;
  if (!submitter) throw new AppError("not_found", "No such task in this team");
  if (submitter.user) return submitter.user.name ? `${submitter.user.name} (${submitter.user.email})` : submitter.user.email;
  if (submitter.apiKey) return `API key “${submitter.apiKey.name}” (${submitter.apiKey.prefix}…)`;
  return null;
}
