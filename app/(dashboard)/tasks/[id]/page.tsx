import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { AppError } from "@/server/errors";
import { getTask } from "@/server/tasks/tasks";
import { TaskLive } from "@/components/tasks/task-live";
import { can } from "@/server/auth/permissions";

export const metadata: Metadata = { title: "Task" };
export const dynamic = "force-dynamic";

export default async function TaskPage({ params }: { params: Promise<{ id: string }> }) {
  const caller = await dashboardCaller();
  const { id } = await params;
  const task = await getTask(caller, id).catch((error) => {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  });
  return (
    <div className="space-y-4">
      <Link href="/tasks" className="text-sm text-indigo-700 hover:underline">
        ← All tasks
      </Link>
      <TaskLive task={task} canExecute={can(caller.role, "execute")} />
    </div>
  );
}
