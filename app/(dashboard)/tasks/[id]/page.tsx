import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { cache } from "react";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { AppError } from "@/server/errors";
import { getTask } from "@/server/tasks/tasks";
import { describeTaskSubmitter } from "@/server/tasks/task-submitter";
import { cutTextWithEllipsis } from "@/server/text/cut-text";
import { TaskLive } from "@/components/tasks/task-live";
import { TaskTraceId } from "@/components/tasks/task-trace-id";
import { can } from "@/server/auth/permissions";
import { AddToDataset } from "@/components/evals/add-to-dataset";

export const dynamic = "force-dynamic";

/** One read per request, shared by the tab title and the page; a task outside the caller's team is a 404. */
const loadTask = cache(async (id: string) => {
  const caller = await dashboardCaller();
  const task = await getTask(caller, id).catch((error) => {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  });
  return { caller, task };
});

/** The tab names the task (its prompt, cut short), so a row of task tabs can be told apart. */
export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const { task } = await loadTask((await params).id);
  return { title: `Task: ${cutTextWithEllipsis(task.prompt.replace(/\s+/g, " ").trim(), 60)}` };
}

export default async function TaskPage({ params }: { params: Promise<{ id: string }> }) {
  const { caller, task } = await loadTask((await params).id);
  const submitter = await describeTaskSubmitter(caller, task.id);
  return (
    <div className="space-y-4">
      <Link href="/tasks" className="text-sm text-indigo-700 hover:underline">
        ← All tasks
      </Link>
      {task.traceId && <TaskTraceId traceId={task.traceId} />}
      <TaskLive task={task} canExecute={can(caller.role, "execute")} submitter={submitter} />
      {/* A finished task with a result can become an evals case (docs/evals.md#datasets). */}
      {task.result && can(caller.role, "write") ? <AddToDataset taskId={task.id} /> : null}
    </div>
  );
}
